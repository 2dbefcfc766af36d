// SPDX-License-Identifier: Apache-2.0
#include "doctor/harmful_values.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(Apply, HarmfulSettingsAreRefused) {
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_tw_recycle", "1", "0"));
  EXPECT_FALSE(harmful_reason("net.ipv4.tcp_tw_recycle", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_timestamps", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "100", "1000"));
  EXPECT_FALSE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "2048", "1000"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_fin_timeout", "10", "60"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_tw_reuse_delay", "1", "1000"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_syncookies", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "10", "120"));
  // Floors that hold whatever the value replaces (a revert has no "lower than now").
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "0", std::nullopt));
  EXPECT_FALSE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "1000", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.ip_local_port_range", "60999 61000", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.ip_local_port_range", "61000 60999", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.ip_local_port_range", "0 70000", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.ip_local_port_range", "1-2", std::nullopt));
  EXPECT_FALSE(harmful_reason("net.ipv4.ip_local_port_range", "40000\t40999", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.ip_local_port_range", "32768 60999", "1024\t65535"));
  EXPECT_FALSE(harmful_reason("net.ipv4.ip_local_port_range", "1024 65535", "32768\t60999"));
  EXPECT_TRUE(harmful_reason("net.core.somaxconn", "1", std::nullopt));
  EXPECT_FALSE(harmful_reason("net.core.somaxconn", "4096", std::nullopt));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_syncookies", "0", std::nullopt));
}

}  // namespace
}  // namespace tw
