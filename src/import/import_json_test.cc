// SPDX-License-Identifier: Apache-2.0
#include "import/import_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "import/fixture_dir.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

nlohmann::json import_json(const std::string& fixture) {
  ImportOptions o;
  o.path = testing::import_fixture_dir() + "/" + fixture;
  HostFacts facts;
  auto r = import_file(o, &facts, [](const Socket&) {});
  EXPECT_TRUE(r) << r.error();
  return r ? import_report_to_json(*r) : nlohmann::json();
}

TEST(ImportJson, OriginalSpellingsBesideTheirState) {
  auto j = import_json("windows_netstat_ano.txt");
  EXPECT_EQ(j["format"], "netstat-windows");
  EXPECT_EQ(j["sockets"], 21);
  EXPECT_EQ(j["ignored"], 2);
  EXPECT_EQ(j["original_states"]["LISTENING"]["count"], 6);
  EXPECT_EQ(j["original_states"]["LISTENING"]["state"], "LISTEN");
  EXPECT_EQ(j["original_states"]["FIN_WAIT_2"]["state"], "FIN-WAIT-2");
  EXPECT_EQ(j["original_states"]["SYN_RECEIVED"]["state"], "SYN-RECV");
}

// cmd.exe writes a redirected German netstat in code page 850: the report of such a dump (its
// spellings, its skipped lines) dumps as JSON (it threw "invalid UTF-8 byte" before).
TEST(ImportJson, CodePageBytesDumpAsJson) {
  auto j = import_json("real/blog_de_netstat_an_oem850.txt");
  EXPECT_EQ(j["sockets"], 92);
  EXPECT_EQ(j["original_states"]["ABH\xEF\xBF\xBDREN"]["count"], 20);
  EXPECT_EQ(j["original_states"]["ABH\xEF\xBF\xBDREN"]["state"], "LISTEN");
  EXPECT_NO_THROW((void)j.dump());
  testing::TempDir dir("twimp-json");
  ImportOptions o;
  o.path = dir.write("dump.txt",
                     "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 "
                     "10.0.0.1:1 10.0.0.2:80\nABH\x99REN 0 0 10.0.0.1:3 10.0.0.2:80\n");
  HostFacts facts;
  auto r = import_file(o, &facts, [](const Socket&) {});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->skipped, 1);
  std::string text;
  EXPECT_NO_THROW(text = import_report_to_json(*r).dump());
  EXPECT_NE(text.find("ABH\xEF\xBF\xBDREN"), std::string::npos) << text;
}

TEST(ImportJson, NumericSpellings) {
  auto ps = import_json("powershell_csv_numeric.txt");
  EXPECT_EQ(ps["original_states"]["11"]["state"], "TIME-WAIT");
  EXPECT_EQ(ps["original_states"]["100"]["state"], "UNCONN");  // Bound
  auto proc = import_json("proc_net_tcp.txt");
  EXPECT_EQ(proc["original_states"]["06"]["count"], 6);
  EXPECT_EQ(proc["original_states"]["06"]["state"], "TIME-WAIT");
  EXPECT_EQ(proc["original_states"]["0A"]["state"], "LISTEN");
}

TEST(ImportJson, SkipsAreListed) {
  // The author's "    ..." elision lines in a pasted German netstat -an.
  auto j = import_json("real/blog_de_netstat_an.txt");
  EXPECT_EQ(j["skipped"], 4);
  EXPECT_EQ(j["skipped_examples"].size(), 4u);
  EXPECT_EQ(j["skip_reasons"].size(), 1u);
}

}  // namespace
}  // namespace tw
