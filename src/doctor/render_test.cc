#include "doctor/render.h"

#include <gtest/gtest.h>

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

TEST(Render, ExitCodes) {
  EXPECT_EQ(exit_code_for(Severity::kOk), 0);
  EXPECT_EQ(exit_code_for(Severity::kInfo), 0);
  EXPECT_EQ(exit_code_for(Severity::kWarning), 3);
  EXPECT_EQ(exit_code_for(Severity::kCritical), 4);
  EXPECT_EQ(sysctl_command({"net.ipv4.ip_local_port_range", "1024 65535", true}),
            "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"");
}

}  // namespace
}  // namespace tw
