// SPDX-License-Identifier: Apache-2.0
#include "plan/plan_input.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tw::plan {
namespace {

TEST(PlanInput, JsonFileSetsEveryMember) {
  auto j = nlohmann::json::parse(R"({
    "rate": 250, "requests_per_connection": 4, "who_closes": "server", "source_addrs": 2,
    "dest_addrs": 3, "dest_ports": 2, "platform": "windows", "port_range": "50000-50999",
    "reserved_ports": "50100-50199", "time_wait": 30, "tw_reuse": 0, "timestamps": false,
    "reuse_delay_ms": 2000, "bind_before_connect": true, "nat": "azure", "nat_addrs": 2,
    "nat_ports": 1000, "nat_hold": 90, "growth_percent": 5, "max_tw_buckets": 100000,
    "keepalive_requests": 50})");
  PlanInput in;
  ASSERT_TRUE(apply_json(j, &in));
  EXPECT_EQ(in.rate, 250);
  EXPECT_EQ(in.requests_per_connection, 4);
  EXPECT_EQ(in.who_closes, Closer::kServer);
  EXPECT_EQ(in.source_addrs, 2);
  EXPECT_EQ(in.destinations(), 6);
  EXPECT_EQ(in.platform, Platform::kWindows);
  EXPECT_EQ(in.effective_pool().usable(), 900);
  EXPECT_EQ(in.effective_time_wait(), 30);
  EXPECT_EQ(in.tw_reuse, 0);
  EXPECT_FALSE(in.timestamps);
  EXPECT_EQ(in.reuse_delay_s, 2);
  EXPECT_TRUE(in.bind_before_connect);
  EXPECT_EQ(in.nat, NatKind::kAzure);
  EXPECT_EQ(in.nat_addrs, 2);
  EXPECT_EQ(*in.nat_ports, 1000);
  EXPECT_EQ(*in.nat_hold_s, 90);
  EXPECT_EQ(in.growth_percent, 5);
  EXPECT_EQ(*in.max_tw_buckets, 100000);
  EXPECT_EQ(in.keepalive_requests, 50);
  EXPECT_TRUE(validate(in));
}

TEST(PlanInput, ReservedPortsApplyToThePlatformDefault) {
  PlanInput in;
  ASSERT_TRUE(apply_json(nlohmann::json::parse(R"({"platform": "windows",
      "reserved_ports": "50000"})"),
                         &in));
  EXPECT_EQ(in.effective_pool().low, 49152);
  EXPECT_EQ(in.effective_pool().usable(), 16383);
}

TEST(PlanInput, BadMembersAreNamed) {
  auto error = [](const char* text) {
    PlanInput in;
    auto st = apply_json(nlohmann::json::parse(text), &in);
    return st ? std::string() : st.error();
  };
  EXPECT_NE(error(R"({"rat": 1})").find("unknown member 'rat'"), std::string::npos);
  EXPECT_NE(error(R"({"rate": "many"})").find("'rate' must be a number"), std::string::npos);
  EXPECT_NE(error(R"({"nat": "aws-gw"})").find("unknown NAT kind 'aws-gw'"), std::string::npos);
  EXPECT_NE(error(R"({"tw_reuse": 3})").find("'tw_reuse'"), std::string::npos);
  EXPECT_NE(error(R"({"port_range": "5-3"})").find("'port_range'"), std::string::npos);
  EXPECT_NE(error(R"([1])").find("JSON object"), std::string::npos);
}

TEST(PlanInput, PlatformDefaults) {
  PlanInput in;
  EXPECT_EQ(in.effective_time_wait(), 60);
  EXPECT_EQ(in.effective_pool().usable(), 28232);
  in.platform = Platform::kOther;
  EXPECT_EQ(in.effective_time_wait(), 240);
  EXPECT_EQ(in.effective_pool().usable(), 16384);
}

}  // namespace
}  // namespace tw::plan
