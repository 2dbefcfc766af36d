// SPDX-License-Identifier: Apache-2.0
// Every fixture of tests/fixtures/import read through import_file(), checked against the
// hand-written counts in its .expected file.
#include "import/import.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "census/census.h"
#include "import/fixture_dir.h"

namespace tw {
namespace {

// Fixture names relative to the folder: "ss_tan", and "real/jc_win10_netstat" for the captures
// of other projects and of this machine in real/ (their sources: real/README.md).
std::vector<std::string> fixture_names() {
  std::vector<std::string> out;
  for (std::string sub : {"", "real/"}) {
    std::string dir = testing::import_fixture_dir() + "/" + sub;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 9 && n.ends_with(".expected"))
          out.push_back(sub + n.substr(0, n.size() - 9));
      }
      closedir(d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ImportFixtures, EveryFormatHasAFixture) {
  auto names = fixture_names();
  ASSERT_GE(names.size(), 15u) << "fixtures missing in " << testing::import_fixture_dir();
  std::map<std::string, int> per_format;
  for (auto& n : names) {
    std::ifstream in(testing::import_fixture_dir() + "/" + n + ".expected");
    std::string k, v;
    while (in >> k) {
      if (k == "format" && in >> v) ++per_format[v];
      std::getline(in, v);
    }
  }
  for (auto& f : import_format_names())
    if (f != "snapshot") {
      EXPECT_GT(per_format[f], 0) << "no fixture for " << f;
    }
}

class ImportFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportFixture, MatchesHandCheckedCounts) {
  std::string base = testing::import_fixture_dir() + "/" + GetParam();
  std::ifstream exp(base + ".expected");
  ASSERT_TRUE(exp) << base << ".expected";
  std::map<std::string, std::string> want;
  std::map<std::string, int64_t> want_states, want_original;
  std::string line;
  while (std::getline(exp, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key, a, b;
    ls >> key >> a >> b;
    if (key == "state")
      want_states[a] = std::stoll(b);
    else if (key == "original")
      want_original[a] = std::stoll(b);
    else
      want[key] = a;
  }
  ImportOptions o;
  // Text dumps end in .txt; binary ones (ss -D) in .bin.
  o.path = access((base + ".txt").c_str(), R_OK) == 0 ? base + ".txt" : base + ".bin";
  if (want.count("implied")) o.implied_state = parse_state(want["implied"]);
  HostFacts facts;
  Census census(CensusOptions{});
  int64_t v6 = 0, mini = 0, pids = 0, timers = 0, owners = 0;
  std::map<std::string, int64_t> original;
  auto r = import_file(o, &facts, [&](const Socket& s) {
    census.add(s);
    v6 += s.local.addr.family == AF_INET6;
    mini += s.mini;
    pids += s.pid >= 0;
    timers += s.timer_ms >= 0;
    owners += !s.command.empty();
    if (!s.original_state.empty()) ++original[std::string(s.original_state)];
  });
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->format, want["format"]);
  EXPECT_EQ(facts.source, "import:" + want["format"]);
  if (want.count("os")) {
    EXPECT_EQ(facts.os, want["os"]);
  }
  EXPECT_EQ(r->sockets, std::stoll(want["sockets"])) << describe_import(*r);
  EXPECT_EQ(census.total(), r->sockets);
  EXPECT_EQ(r->skipped, std::stoll(want["skipped"])) << describe_import(*r);
  EXPECT_EQ(r->ignored, std::stoll(want["ignored"])) << describe_import(*r);
  for (int i = 0; i < kStateCount; ++i) {
    TcpState st = state_at(i);
    int64_t w = want_states.count(std::string(netstat_name(st)))
                    ? want_states[std::string(netstat_name(st))]
                    : 0;
    EXPECT_EQ(census.count(st), w) << netstat_name(st);
  }
  EXPECT_EQ(v6, std::stoll(want["v6"]));
  EXPECT_EQ(mini, std::stoll(want["mini"]));
  EXPECT_EQ(pids, std::stoll(want["pids"]));
  EXPECT_EQ(timers, std::stoll(want["timers"]));
  if (want.count("named")) {
    EXPECT_EQ(r->named_endpoints, std::stoll(want["named"])) << describe_import(*r);
  }
  if (want.count("owners")) {
    EXPECT_EQ(owners, std::stoll(want["owners"]));
    EXPECT_EQ(r->owners, owners);
  }
  if (want.count("warnings")) {
    int64_t w = 0;
    for (auto& [k, n] : r->warnings) w += n;
    EXPECT_EQ(w, std::stoll(want["warnings"]));
  }
  for (auto& [name, n] : want_original) EXPECT_EQ(original[name], n) << name;
  // Forcing the detected format reads the same.
  o.format = r->format;
  int64_t again = 0;
  auto forced = import_file(o, &facts, [&](const Socket&) { ++again; });
  ASSERT_TRUE(forced) << forced.error();
  EXPECT_EQ(again, r->sockets);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ImportFixture, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace tw
