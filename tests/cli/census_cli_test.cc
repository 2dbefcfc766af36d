// SPDX-License-Identifier: Apache-2.0
// `timewait census` as a user runs it: real binary, real sockets in a test namespace.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "run_tool.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::EnterNetns;
using testing::run_tool;
using testing::ScopedNetns;
using testing::Sockets;

class CensusCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = std::make_unique<ScopedNetns>();
    EnterNetns in(ns_->name());
    port_ = socks_.listen("127.0.0.1");
    uint16_t p6 = socks_.listen("::1");
    for (int i = 0; i < 2; ++i) socks_.established("127.0.0.1", port_);
    for (int i = 0; i < 7; ++i) socks_.time_wait("127.0.0.1", port_);
    for (int i = 0; i < 3; ++i) socks_.time_wait("::1", p6);
    socks_.close_wait("127.0.0.1", port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let LAST-ACKs finish
  }
  json census_json(const std::string& extra) {
    auto r = run_tool("census --netns " + ns_->name() + " --json " + extra);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
  }
  std::unique_ptr<ScopedNetns> ns_;
  Sockets socks_;
  uint16_t port_ = 0;
};

TEST_F(CensusCli, JsonCountsMatchSs) {
  json j = census_json("");
  EXPECT_EQ(j["schema"], "timewait-census/1");
  EXPECT_EQ(j["host"]["netns"], ns_->name());
  std::map<std::string, int> ss;
  std::istringstream in(testing::run_output("ip netns exec " + ns_->name() + " ss -tanH"));
  for (std::string line; std::getline(in, line);) {
    std::string state = line.substr(0, line.find(' '));
    ss[state]++;
  }
  EXPECT_EQ(j["states"]["time-wait"], ss["TIME-WAIT"]);
  EXPECT_EQ(j["states"]["established"], ss["ESTAB"]);
  EXPECT_EQ(j["states"]["listening"], ss["LISTEN"]);
  EXPECT_EQ(j["states"]["close-wait"], ss["CLOSE-WAIT"]);
  EXPECT_EQ(j["states"]["fin-wait-2"], ss["FIN-WAIT-2"]);
  EXPECT_EQ(j["states"]["time-wait"], 10);
  EXPECT_EQ(j["states"]["established"], 4);
  EXPECT_EQ(j["total"], 18);
  EXPECT_EQ(j["time_wait"]["with_timer"], 10);
  EXPECT_EQ(j["sockstat"]["tw"], 10);
}

TEST_F(CensusCli, TableShowsCountsAndRate) {
  auto r = run_tool("census --netns " + ns_->name());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("TIME-WAIT      10  made at ~0.2/s over the last 60 s"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("TOTAL          18\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Port pressure per destination"), std::string::npos);
}

TEST_F(CensusCli, GroupByTupleWithTop) {
  json j = census_json("--by tuple --top 1 --state time-wait");
  EXPECT_EQ(j["groups"]["by"], "tuple");
  EXPECT_EQ(j["groups"]["total_groups"], 2);
  ASSERT_EQ(j["groups"]["rows"].size(), 1u);
  EXPECT_EQ(j["groups"]["rows"][0]["key"]["remote_port"], port_);
  EXPECT_EQ(j["groups"]["rows"][0]["counts"]["time-wait"], 7);
  EXPECT_EQ(j["total"], 10);
  EXPECT_EQ(j["states"]["established"], 0);  // filtered out by the kernel
  auto table = run_tool("census --netns " + ns_->name() + " --by tuple --top 1");
  EXPECT_NE(table.out.find("more groups"), std::string::npos) << table.out;
}

TEST_F(CensusCli, ProcSourceGivesTheSameCounts) {
  json a = census_json("");
  json b = census_json("--source proc");
  EXPECT_EQ(a["states"], b["states"]);
  EXPECT_EQ(b["host"]["source"], "proc");
}

// --source bpf reads the socket table with the BPF iterator and says so; a build without it
// says "bpf: not built" and fails rather than reading another source silently.
TEST_F(CensusCli, BpfSourceGivesTheSameCountsAndTheReuse) {
  auto r = run_tool("census --netns " + ns_->name() + " --json --source bpf");
#if TIMEWAIT_BPF_BUILT
  ASSERT_EQ(r.code, 0) << r.err;
  json b = json::parse(r.out);
  EXPECT_EQ(b["host"]["source"], "bpf");
  EXPECT_EQ(b["states"], census_json("--source netlink")["states"]);
  EXPECT_EQ(b["time_wait"]["with_timer"], 10);
  // The kernel told each TIME_WAIT's reuse: the three kinds add up to the TIME_WAIT count.
  const json& reuse = b["time_wait"]["reuse"];
  ASSERT_TRUE(reuse.is_object()) << b["time_wait"].dump();
  EXPECT_EQ(reuse["reusable_now"].get<int>() + reuse["not_yet"].get<int>() +
                reuse["no_timestamps"].get<int>(),
            10);
  EXPECT_EQ(census_json("--source netlink")["time_wait"]["reuse"], nullptr);
  auto table = run_tool("census --netns " + ns_->name() + " --source bpf");
  EXPECT_NE(table.out.find("(source: bpf, "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("tcp_tw_reuse, where on, could take"), std::string::npos) << table.out;
#else
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("timewait: error: bpf: not built"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
#endif
}

TEST_F(CensusCli, PidSelectsTheProcessNamespace) {
  pid_t child = fork();
  if (child == 0) {
    EnterNetns in(ns_->name());
    pause();
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto r = run_tool("census --json --pid " + std::to_string(child));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["states"]["time-wait"], 10);
}

TEST_F(CensusCli, SaveThenFromGivesTheSameCensus) {
  testing::TempDir dir("twcli-snap");
  const std::string path = dir / "snap.json";
  auto saved = run_tool("census --netns " + ns_->name() + " --json --save " + path);
  ASSERT_EQ(saved.code, 0) << saved.err;
  auto from = run_tool("census --json --from " + path);
  ASSERT_EQ(from.code, 0) << from.err;
  json a = json::parse(saved.out), b = json::parse(from.out);
  EXPECT_EQ(a["states"], b["states"]);
  EXPECT_EQ(a["time_wait"]["with_timer"], b["time_wait"]["with_timer"]);
  EXPECT_EQ(a["port_pressure"]["usable"], b["port_pressure"]["usable"]);
  json snap = json::parse(std::ifstream(path));
  EXPECT_EQ(snap["format"], "timewait-snapshot");
  EXPECT_EQ(snap["socket_count"], 18);
  EXPECT_EQ(snap["facts"]["sysctls"]["net.ipv4.ip_local_port_range"], "32768 60999");
  // No temporary file is left beside it.
  EXPECT_EQ(dir.names(), std::vector<std::string>{"snap.json"});
}

// Lines of `text` from the one starting with `header` to the next empty line.
std::vector<std::string> table_after(const std::string& text, const std::string& header) {
  std::vector<std::string> out;
  std::istringstream in(text);
  bool on = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(header)) on = true;
    if (on && line.empty()) break;
    if (on) out.push_back(line);
  }
  return out;
}

TEST_F(CensusCli, TablesFitLongIpv6TuplesAndShowListenersAsListeners) {
  const std::string v6 = "2001:db8:ffff:ffff:ffff:ffff:ffff:1";
  ASSERT_EQ(ns_->exec("ip -6 addr add " + v6 + "/128 dev lo nodad"), 0);
  {
    EnterNetns in(ns_->name());
    uint16_t p = socks_.listen(v6);
    for (int i = 0; i < 4; ++i) socks_.time_wait(v6, p);
  }
  for (int columns : {200, 100, 60}) {
    SCOPED_TRACE(columns);
    std::string out = testing::run_output(fmt::format("COLUMNS={} {} census --netns {} --by tuple",
                                                      columns, TIMEWAIT_BIN, ns_->name()));
    std::istringstream in(out);
    bool in_groups = false;
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("BY tuple")) in_groups = true;
      EXPECT_FALSE(!line.empty() && line.back() == ' ') << "[" << line << "]";
      // Only a tuple too long for any layout may pass the width, alone on its line; and at 60
      // columns the grouped counts (seven number columns) cannot fit: they keep their numbers.
      if (line.find(" -> [" + v6) == std::string::npos && (columns >= 100 || !in_groups)) {
        EXPECT_LE(line.size(), size_t(columns)) << line;
      }
      if (line.starts_with("BY tuple")) in_groups = true;
      if (line.empty()) in_groups = false;
    }
    auto pressure = table_after(out, "LOCAL -> REMOTE");
    ASSERT_GE(pressure.size(), 3u) << out;  // header, the IPv6 and the IPv4 destination
    const size_t used = pressure[0].find("USED") + 4;
    int rows = 0;
    for (size_t i = 1; i < pressure.size(); ++i) {
      size_t pct = pressure[i].find('%');
      if (pct == std::string::npos) continue;  // a tuple alone on its line, numbers below
      EXPECT_EQ(pct + 1, used) << out;         // numbers right-aligned under their header
      ++rows;
    }
    EXPECT_EQ(rows, 3) << out;  // 127.0.0.1, ::1 and the long IPv6 one
    // Listeners have no peer: they are named as listeners, not as a tuple to 0.0.0.0:0.
    EXPECT_NE(out.find("127.0.0.1 (listening, no peer)"), std::string::npos) << out;
    EXPECT_EQ(out.find("-> 0.0.0.0:0"), std::string::npos) << out;
    EXPECT_EQ(out.find("-> [::]:0"), std::string::npos) << out;
  }
}

TEST_F(CensusCli, ProcessesNamesTheOwnersOfLiveSocketsAsSsDoes) {
  // ss -p is the peer: the sockets it gives this test's pid are the ones -p must count for it.
  std::istringstream in(testing::run_output("ip netns exec " + ns_->name() + " ss -tanpH"));
  const std::string mine = fmt::format("pid={},", getpid());
  int ss_mine = 0;
  for (std::string line; std::getline(in, line);) ss_mine += line.find(mine) != std::string::npos;
  ASSERT_GT(ss_mine, 0);
  json j = census_json("-p");
  ASSERT_TRUE(j["owners"].is_array()) << j.dump();
  bool found = false;
  for (const json& o : j["owners"])
    if (o["pid"] == getpid()) {
      found = true;
      EXPECT_EQ(o["command"], "cli_test");
      EXPECT_EQ(o["sockets"], ss_mine);
    }
  EXPECT_TRUE(found) << j.dump();
  // Without -p a live census looks nothing up.
  EXPECT_TRUE(census_json("")["owners"].is_null());
  auto r = run_tool("census --netns " + ns_->name() + " -p");
  EXPECT_NE(r.out.find("Processes holding sockets (looked up in /proc/PID/fd now)"),
            std::string::npos)
      << r.out;
  // Live owners were looked up now: no input recorded them.
  EXPECT_EQ(r.out.find("as the input recorded them"), std::string::npos) << r.out;
}

TEST(CensusCliErrors, BadInputIsOneLineAndExit2) {
  testing::expect_usage_errors({
      {"census --state timewaiting", "unknown state 'timewaiting'"},
      {"census --by colour", "unknown grouping 'colour'"},
      {"census -p --from /dev/null", "-p looks up the owners of live sockets"},
      {"census --netns twtest-does-not-exist",
       "network namespace 'twtest-does-not-exist' does not exist"},
      {"census --pid 999999999", "pid 999999999"},
      {"census --from /nonexistent/dump.txt", "/nonexistent/dump.txt does not exist"},
      {"census --source kernel", "unknown source 'kernel'"},
      {"census --top x", "--top"},
      {"census --netns a --pid 1", "not both"},
      {"census --save /nonexistent/dir/s.json", "cannot write snapshot"},
      {"frobnicate", "frobnicate"},
  });
}

TEST(CensusCliErrors, NoPermissionForANamespaceSaysRunAsRoot) {
  ScopedNetns ns;
  // As user nobody: entering another network namespace needs CAP_SYS_ADMIN.
  auto r = run_tool("census --netns " + ns.name());
  ASSERT_EQ(r.code, 0) << r.err;  // as root it works
  std::string cmd = fmt::format(
      "setpriv --reuid=65534 --regid=65534 --clear-groups {} census --netns {} 2>&1; echo rc=$?",
      TIMEWAIT_BIN, ns.name());
  std::string out = testing::run_output(cmd);
  EXPECT_NE(out.find("needs root (CAP_SYS_ADMIN)"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
}

TEST(CensusCliErrors, HelpListsOptions) {
  auto r = run_tool("census --help");
  EXPECT_EQ(r.code, 0);
  for (const char* opt :
       {"--netns", "--pid", "--state", "--by", "--top", "--json", "--save", "--from"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace tw
