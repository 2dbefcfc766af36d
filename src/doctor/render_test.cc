// SPDX-License-Identifier: Apache-2.0
#include "doctor/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "doctor/test_input.h"

namespace tw {
namespace {

TEST(Render, JsonAndTableAgree) {
  testing::InputBuilder b;
  b.set("net.ipv4.tcp_timestamps", "0");
  DoctorInput in = b.build();
  auto findings = run_rules(in);
  DoctorReport r{&in.facts, &findings, "", false};
  auto j = doctor_to_json(r);
  EXPECT_EQ(j["schema"], "timewait-doctor/1");
  EXPECT_EQ(j["worst"], "warning");
  EXPECT_EQ(j["exit_status"], 3);
  bool found = false;
  for (auto& f : j["findings"])
    if (f["id"] == "tcp-timestamps") {
      found = true;
      EXPECT_EQ(f["severity"], "warning");
      EXPECT_EQ(f["fix"]["sysctls"][0]["command"], "sysctl -w net.ipv4.tcp_timestamps=1");
      EXPECT_EQ(f["fix"]["persistent"][0], "net.ipv4.tcp_timestamps = 1");
    }
  EXPECT_TRUE(found);
  std::string t = render_doctor_table(r);
  EXPECT_NE(t.find("warning   tcp-timestamps"), std::string::npos) << t;
  EXPECT_NE(t.find("WARNING tcp-timestamps:"), std::string::npos);
  EXPECT_NE(t.find("    net.ipv4.tcp_timestamps = 1\n"), std::string::npos);
  EXPECT_NE(t.find("worst: warning (exit status 3)"), std::string::npos);
}

// Under --netns every command runs in that namespace; a finding whose cure is in the application
// shows it as the fix now, before kernel settings to weigh; JSON carries the numbers as fields.
TEST(Render, CommandsForTheNamespaceAndTheFixNowFirst) {
  testing::InputBuilder b;
  b.facts.netns = "web";
  b.set("net.ipv4.tcp_timestamps", "0");
  b.set("net.ipv4.ip_local_port_range", "32768 60999");
  b.churn(500, 57, "10.0.0.1", "10.0.0.9:80", 32768);
  DoctorInput in = b.build();
  auto findings = run_rules(in);
  DoctorReport r{&in.facts, &findings, "", false};
  std::string t = render_doctor_table(r);
  EXPECT_NE(t.find("    ip netns exec web sysctl -w net.ipv4.tcp_timestamps=1\n"),
            std::string::npos)
      << t;
  const size_t pressure = t.find("CRITICAL port-pressure:");
  ASSERT_NE(pressure, std::string::npos) << t;
  const size_t fix_now = t.find("  fix now, in the application:\n", pressure);
  const size_t weigh = t.find("  weigh first (not applied by --apply):\n", pressure);
  ASSERT_NE(fix_now, std::string::npos) << t.substr(pressure);
  ASSERT_NE(weigh, std::string::npos);
  EXPECT_LT(fix_now, weigh);
  EXPECT_NE(
      t.find("ip netns exec web sysctl -w net.ipv4.ip_local_port_range=\"10000 65535\"", weigh),
      std::string::npos);
  auto j = doctor_to_json(r);
  for (auto& f : j["findings"]) {
    EXPECT_TRUE(f["data"].is_object()) << f["id"];
    if (f["id"] == "port-pressure") {
      EXPECT_EQ(f["data"]["worst"]["state"], "exhausted");
      EXPECT_EQ(f["data"]["worst"]["in_use"], 28232);
    }
    if (f["id"] == "tcp-timestamps") {
      EXPECT_EQ(f["fix"]["sysctls"][0]["command"],
                "ip netns exec web sysctl -w net.ipv4.tcp_timestamps=1");
    }
  }
}

// doctor --json carries the numbers behind every finding as fields, not only as prose.
TEST(Render, EveryCheckedFindingCarriesItsNumbers) {
  testing::InputBuilder linux_host;
  linux_host.set("net.netfilter.nf_conntrack_count", "10")
      .set("net.netfilter.nf_conntrack_max", "100");
  linux_host.churn(40, 11, "10.0.0.1", "10.0.0.9:8080", 40000);
  testing::InputBuilder windows;
  windows.facts.os = "windows";
  windows.facts.sysctls.clear();
  windows.facts.windows_params = {{"TcpTimedWaitDelay", 60},
                                  {"MaxUserPort", 5000},
                                  {"DynamicPortStart", 49152},
                                  {"DynamicPortNumber", 16384}};
  windows.outgoing(10, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443", 49152);
  for (testing::InputBuilder* b : {&linux_host, &windows}) {
    DoctorInput in = b->build();
    for (const Finding& f : run_rules(in))
      if (f.checked) {
        EXPECT_FALSE(f.data.empty()) << f.id << " has no data";
      }
  }
}

TEST(Render, ExitCodes) {
  EXPECT_EQ(exit_code_for(Severity::kOk), 0);
  EXPECT_EQ(exit_code_for(Severity::kInfo), 0);
  EXPECT_EQ(exit_code_for(Severity::kWarning), 3);
  EXPECT_EQ(exit_code_for(Severity::kCritical), 4);
  EXPECT_EQ(sysctl_command({"net.ipv4.ip_local_port_range", "1024 65535", true}),
            "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"");
  EXPECT_EQ(sysctl_command({"net.ipv4.tcp_tw_reuse", "1", true}, "pid:42"),
            "nsenter -t 42 -n sysctl -w net.ipv4.tcp_tw_reuse=1");
  EXPECT_EQ(in_namespace("host", "ss -tan"), "ss -tan");
}

}  // namespace
}  // namespace tw
