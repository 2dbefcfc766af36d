// SPDX-License-Identifier: Apache-2.0
// `timewait plan` as a user runs it: the seed arithmetic on flags, a JSON input file, a snapshot
// through --from (checked against what `census --from` says of the same file), and one-line
// usage errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "run_tool.h"
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
