// SPDX-License-Identifier: Apache-2.0
#include "os/sysctl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "os/netns.h"
#include "testing/scoped_netns.h"

namespace tw::os {
namespace {

TEST(Sysctl, PathFromDottedName) {
  EXPECT_EQ(sysctl_path("net.ipv4.tcp_tw_reuse"), "/proc/sys/net/ipv4/tcp_tw_reuse");
  EXPECT_EQ(sysctl_path("net.core.somaxconn"), "/proc/sys/net/core/somaxconn");
}

// Reads and writes act on the calling thread's namespace: a namespace made for the test, entered
// by this thread only, so the host's values are never touched.
TEST(Sysctl, WritesAndReadsInANamespaceOfItsOwn) {
  if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  testing::ScopedNetns ns;
  auto host_before = read_sysctl("net.ipv4.ip_local_port_range");
  ASSERT_TRUE(host_before) << host_before.error();
  {
    testing::EnterNetns in(ns.name());
    ASSERT_TRUE(write_sysctl("net.ipv4.ip_local_port_range", "40000 40123"));
    auto v = read_sysctl("net.ipv4.ip_local_port_range");
    ASSERT_TRUE(v) << v.error();
    EXPECT_EQ(*v, "40000\t40123");  // the kernel's own form, fields kept, newline gone
    ASSERT_TRUE(write_sysctl("net.ipv4.tcp_tw_reuse", "0"));
    EXPECT_EQ(read_sysctl("net.ipv4.tcp_tw_reuse").value_or("?"), "0");
    auto refused = write_sysctl("net.ipv4.tcp_tw_reuse", "7");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), "the kernel refused net.ipv4.tcp_tw_reuse = 7: Invalid argument");
  }
  EXPECT_EQ(read_sysctl("net.ipv4.ip_local_port_range").value_or("?"), *host_before);
  // The same through the namespace's own handle, from a thread inside it.
  ASSERT_TRUE(ns.netns().set_sysctl("net.ipv4.tcp_fin_timeout", "17"));
  EXPECT_EQ(ns.netns().sysctl("net.ipv4.tcp_fin_timeout").value_or("?"), "17");
  EXPECT_NE(read_sysctl("net.ipv4.tcp_fin_timeout").value_or("17"), "17");
}

TEST(Sysctl, SaysWhichSettingFailed) {
  auto missing = read_sysctl("net.ipv4.no_such_setting");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(),
            "cannot read /proc/sys/net/ipv4/no_such_setting: No such file or directory");
  auto unwritable = write_sysctl("net.ipv4.no_such_setting", "1");
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error(),
            "cannot open /proc/sys/net/ipv4/no_such_setting to write: No such file or directory");
}

}  // namespace
}  // namespace tw::os
