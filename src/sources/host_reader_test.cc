// SPDX-License-Identifier: Apache-2.0
#include "sources/host_reader.h"

#include <gtest/gtest.h>

#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

TEST(HostReader, ParsesSockstat) {
  Sockstat s = parse_sockstat(
      "sockets: used 10\nTCP: inuse 3 orphan 1 tw 2 alloc 5 mem 41\nUDP: inuse 0 mem 0\n",
      "TCP6: inuse 4\nUDP6: inuse 0\n");
  EXPECT_EQ(s.inuse, 3);
  EXPECT_EQ(s.orphan, 1);
  EXPECT_EQ(s.tw, 2);
  EXPECT_EQ(s.alloc, 5);
  EXPECT_EQ(s.mem, 41);
  EXPECT_EQ(s.inuse6, 4);
}

TEST(HostReader, ParsesTcpExtAndTcpCounters) {
  std::map<std::string, int64_t> c;
  parse_counters(
      "TcpExt: SyncookiesSent TW TWRecycled\nTcpExt: 0 17 3\n"
      "IpExt: InNoRoutes\nIpExt: 9\n",
      &c);
  parse_counters("Tcp: RtoAlgorithm OutRsts\nTcp: 1 12\n", &c);
  EXPECT_EQ(c.at("TW"), 17);
  EXPECT_EQ(c.at("TWRecycled"), 3);
  EXPECT_EQ(c.at("Tcp.OutRsts"), 12);
  EXPECT_EQ(c.count("InNoRoutes"), 0u);
}

// The facts come from the namespace the thread is in, not the host's.
TEST(HostReader, ReadsTheNamespaceOfTheThread) {
  testing::ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40099");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "1");
  HostFacts f;
  {
    testing::EnterNetns in(ns.name());
    f = read_host_facts();
  }
  EXPECT_EQ(f.sysctl("net.ipv4.ip_local_port_range"), "40000 40099");
  EXPECT_EQ(f.sysctl_int("net.ipv4.tcp_tw_reuse"), 1);
  ASSERT_TRUE(f.sockstat);
  EXPECT_EQ(f.sockstat->tw, 0);
  EXPECT_TRUE(f.counters.count("TW"));
  EXPECT_TRUE(f.counters.count("Tcp.OutRsts"));
  EXPECT_FALSE(f.sysctl("net.ipv4.tcp_tw_recycle"));  // removed in Linux 4.12
}

// TcpExt TW counts TIME_WAITs as they are made (the kernel counts when it arms the TIME_WAIT timer,
// inet_twsk_schedule), not when they expire: the doctor turns its growth into a creation rate.
TEST(HostReader, TcpExtTwCountsTimeWaitsWhenMade) {
  testing::ScopedNetns ns;
  testing::Sockets socks;
  testing::EnterNetns in(ns.name());
  int64_t before = read_host_facts().counters.at("TW");
  uint16_t port = socks.listen("127.0.0.1");
  for (int i = 0; i < 7; ++i) socks.time_wait("127.0.0.1", port);
  HostFacts after = read_host_facts();
  EXPECT_EQ(after.counters.at("TW") - before, 7);
  EXPECT_EQ(after.sockstat->tw, 7);
}

}  // namespace
}  // namespace tw
