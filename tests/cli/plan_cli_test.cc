// SPDX-License-Identifier: Apache-2.0
// `timewait plan` as a user runs it: the seed arithmetic on flags, a JSON input file, a snapshot
// through --from (checked against what `census --from` says of the same file), and one-line
// usage errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "run_tool.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;

json plan_json(const std::string& args) {
  auto r = run_tool("plan --json " + args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return json::parse(r.out, nullptr, false);
}

TEST(PlanCli, SeedArithmeticOnFlags) {
  // 60,000 ports / 240 s (RFC 793's 2 MSL) = 250/s, the seed's "≈ 300".
  json j = plan_json("--rate 300 --port-range 5001-65000 --platform other");
  EXPECT_EQ(j["schema"], "timewait-plan/1");
  EXPECT_EQ(j["input"]["usable_ports"], 60000);
  EXPECT_EQ(j["input"]["time_wait"], 240);
  EXPECT_DOUBLE_EQ(j["sustainable"]["per_tuple"].get<double>(), 250);
  EXPECT_DOUBLE_EQ(j["exhaustion"]["after_s"].get<double>(), 200);
  // 1,000/s x 240 s = 240,000 TIME_WAITs on the server when it closes first.
  json s = plan_json("--rate 1000 --who-closes server --time-wait 240 --source-addrs 100");
  EXPECT_EQ(s["time_wait"]["side"], "server");
  EXPECT_EQ(s["time_wait"]["count"], 240000);
  EXPECT_TRUE(s["sustainable"]["total"].is_null());
}

TEST(PlanCli, TableShowsNumbersWithTheirSources) {
  auto r = run_tool("plan --rate 300");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("470.5/s per tuple"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("18,000 on the client"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TCP_TIMEWAIT_LEN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcp_tw_reuse=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Sources:"), std::string::npos) << r.out;
}

TEST(PlanCli, InputFileAndFlagsOverIt) {
  testing::TempDir dir;
  const std::string path = dir / "plan.json";
  std::ofstream(path) << R"({"rate": 10, "nat": "gcp", "nat_ports": 128})";
  json j = plan_json("--input " + path);
  EXPECT_EQ(j["input"]["nat"], "gcp");
  EXPECT_DOUBLE_EQ(j["sustainable"]["total"].get<double>(), 128.0 / 120);
  json k = plan_json("--input " + path + " --nat-ports 256");
  EXPECT_DOUBLE_EQ(k["sustainable"]["total"].get<double>(), 256.0 / 120);
}

TEST(PlanCli, FromSnapshotTakesTheCensusRate) {
  const std::string snap = std::string(FIXTURES_DIR) + "/doctor/linux-snapshot.json";
  auto c = run_tool("census --json --by tuple --from " + snap);
  ASSERT_EQ(c.code, 0) << c.err;
  json census = json::parse(c.out);
  double busiest = 0;
  for (const json& t : census["port_pressure"]["tuples"])
    busiest = std::max(busiest, t["rate_60s"].get<double>());
  ASSERT_GT(busiest, 0);
  json j = plan_json("--from " + snap);
  EXPECT_NEAR(j["input"]["rate"].get<double>(), busiest, 0.005);  // census rounds to 2 decimals
  EXPECT_EQ(j["input"]["usable_ports"], census["port_pressure"]["usable"]);
  EXPECT_EQ(j["input"]["tw_reuse"], 0);
  EXPECT_DOUBLE_EQ(j["sustainable"]["per_tuple"].get<double>(),
                   census["port_pressure"]["usable"].get<double>() / 60);
  // A flag overrides what the snapshot says.
  json k = plan_json("--from " + snap + " --rate 5");
  EXPECT_EQ(k["input"]["rate"], 5);
}

// A snapshot of an exhausted pool: every one of 100 ports in TIME_WAIT toward one destination.
// Its TIME_WAIT rate is what the pool let through; connect() calls beyond it failed and left
// nothing, so plan must call the rate a lower bound, not report headroom. The range is the
// snapshot's, not "given".
TEST(PlanCli, FromAnExhaustedSnapshotTheRateIsALowerBound) {
  testing::ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40099");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // no reuse on loopback: the ports stay held
  testing::Sockets socks;
  {
    testing::EnterNetns in(ns.name());
    socks.listen("127.0.0.1", 8080);
    for (int i = 0; i < 100; ++i) socks.time_wait("127.0.0.1", 8080);
  }
  testing::TempDir dir;
  const std::string snap = dir / "exhausted.json";
  auto c = run_tool("census --netns " + ns.name() + " --save " + snap);
  ASSERT_EQ(c.code, 0) << c.err;
  json j = plan_json("--from " + snap);
  EXPECT_EQ(j["input"]["port_range_source"], "input");
  EXPECT_EQ(j["input"]["usable_ports"], 100);
  EXPECT_TRUE(j["input"]["rate_lower_bound"].get<bool>()) << j["input"].dump(2);
  EXPECT_NE(j["input"]["rate_note"].get<std::string>().find("exhausted"), std::string::npos);
  EXPECT_NE(j["exhaustion"]["text"].get<std::string>().find("exhausted in the input"),
            std::string::npos)
      << j["exhaustion"].dump();
  auto t = run_tool("plan --from " + snap);
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("(from the input)"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("(given)"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("at most"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("lower bound"), std::string::npos) << t.out;
  // The demand given by flag replaces the lower bound; the range a flag gives is "given".
  json k = plan_json("--from " + snap + " --rate 25 --port-range 40000-40099");
  EXPECT_FALSE(k["input"]["rate_lower_bound"].get<bool>());
  EXPECT_EQ(k["input"]["port_range_source"], "given");
  // A snapshot with room left is no lower bound.
  json f = plan_json("--from " + std::string(FIXTURES_DIR) + "/doctor/linux-snapshot.json");
  EXPECT_FALSE(f["input"]["rate_lower_bound"].get<bool>());
}

TEST(PlanCli, LinuxSnatPredictsDroppedSynsNotFailures) {
  // The issue's balancer: 100 SNAT ports, the backend closing first, 8/s.
  json j = plan_json("--rate 8 --nat linux-snat --nat-ports 100 --who-closes server");
  EXPECT_TRUE(j["exhaustion"]["after_s"].is_null());
  EXPECT_NEAR(j["snat_syns"]["dropped"].get<double>(), 0.5, 0.01);
  EXPECT_EQ(j["snat_syns"]["failed"], 0);
  auto t = run_tool("plan --rate 8 --nat linux-snat --nat-ports 100 --who-closes server");
  EXPECT_NE(t.out.find("none fail"), std::string::npos) << t.out;
  json r = plan_json("--rate 8 --nat linux-snat --nat-ports 100 --who-closes server --rfc1337");
  EXPECT_NEAR(r["snat_syns"]["delayed"].get<double>(), 0.5, 0.01);
}

TEST(PlanCli, BadInputIsOneLineAndExitTwo) {
  testing::TempDir dir;
  const std::string bad = dir / "bad.json";
  std::ofstream(bad) << R"({"rate": 10, "natt": "aws"})";
  testing::expect_usage_errors({
      {"plan", "give --rate N"},
      {"plan --rate 0", "rate"},
      {"plan --rate nan", "--rate"},
      {"plan --rate 10 --nat aws-gw", "unknown NAT kind 'aws-gw'"},
      {"plan --rate 10 --who-closes both", "--who-closes"},
      {"plan --rate 10 --port-range 5-3", "port-range"},
      {"plan --rate 10 --nat-ports 64", "give --nat KIND"},
      {"plan --rate 10 --format ss", "--from"},
      {"plan --input " + bad, "unknown member 'natt'"},
      {"plan --input /nonexistent/plan.json", "cannot open"},
  });
}

}  // namespace
}  // namespace tw
