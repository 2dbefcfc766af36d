// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "model/endpoint.h"
#include "model/port_range.h"
#include "model/state_mask.h"
#include "model/tcp_state.h"

namespace tw {
namespace {

TEST(TcpState, ParsesEverySpellingOfEveryTool) {
  EXPECT_EQ(parse_state("TIME-WAIT"), TcpState::kTimeWait);    // ss
  EXPECT_EQ(parse_state("TIME_WAIT"), TcpState::kTimeWait);    // netstat
  EXPECT_EQ(parse_state("TimeWait"), TcpState::kTimeWait);     // PowerShell
  EXPECT_EQ(parse_state("ESTAB"), TcpState::kEstablished);     // ss
  EXPECT_EQ(parse_state("LISTENING"), TcpState::kListen);      // Windows netstat
  EXPECT_EQ(parse_state("FIN_WAIT_2"), TcpState::kFinWait2);   // BSD, Windows
  EXPECT_EQ(parse_state("FIN_WAIT2"), TcpState::kFinWait2);    // Linux netstat
  EXPECT_EQ(parse_state("SYN_RECEIVED"), TcpState::kSynRecv);  // Windows
  EXPECT_EQ(parse_state("CLOSED"), TcpState::kClose);
  EXPECT_EQ(parse_state("UNCONN"), TcpState::kClose);
  EXPECT_FALSE(parse_state("Bound"));
  EXPECT_FALSE(parse_state(""));
  for (int i = 0; i < kStateCount; ++i) {
    EXPECT_EQ(parse_state(ss_name(state_at(i))), state_at(i));
    EXPECT_EQ(parse_state(netstat_name(state_at(i))), state_at(i));
    EXPECT_EQ(parse_state(filter_name(state_at(i))), state_at(i));
  }
}

TEST(StateMask, ParsesSsGroups) {
  auto conn = parse_state_mask({"connected"});
  ASSERT_TRUE(conn);
  EXPECT_FALSE(conn->has(TcpState::kListen));
  EXPECT_FALSE(conn->has(TcpState::kClose));
  EXPECT_TRUE(conn->has(TcpState::kTimeWait));
  auto sync = parse_state_mask({"synchronized"});
  EXPECT_FALSE(sync->has(TcpState::kSynSent));
  EXPECT_TRUE(sync->has(TcpState::kEstablished));
  auto bucket = parse_state_mask({"bucket"});
  EXPECT_EQ(bucket->describe(), "syn-recv,time-wait");
  EXPECT_TRUE(parse_state_mask({})->is_all());
  EXPECT_EQ(parse_state_mask({"time-wait", "listen"})->describe(), "time-wait,listening");
  auto bad = parse_state_mask({"timewaiting"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("unknown state 'timewaiting'"), std::string::npos);
}

// Shell completion offers state_mask_names(): each must parse, and --help must name each.
TEST(StateMask, CompletionNamesAreTheAcceptedOnes) {
  std::string help(state_names_help());
  for (std::string_view n : state_mask_names()) {
    EXPECT_TRUE(parse_state_mask({std::string(n)})) << n;
    EXPECT_NE(help.find(n), std::string::npos) << n;
  }
  EXPECT_EQ(state_mask_names().size(), 16u);
}

TEST(Endpoint, PrintsAndParses) {
  auto a = Address::parse("[2001:db8::1]");
  ASSERT_TRUE(a);
  EXPECT_EQ((Endpoint{*a, 443}).to_string(), "[2001:db8::1]:443");
  EXPECT_TRUE(Address::parse("127.0.0.9")->is_loopback());
  EXPECT_TRUE(Address::parse("::ffff:127.0.0.1")->is_loopback());
  EXPECT_FALSE(Address::parse("10.0.0.1")->is_loopback());
  EXPECT_TRUE(Address::parse("*")->is_unspecified());
  EXPECT_FALSE(Address::parse("10.0.0"));
  EXPECT_EQ(Address::parse("fe80::1%eth0")->to_string(), "fe80::1");
}

// Host names of dumps taken without -n: one Address per name, printed as given, never an
// address of any kind; the table stops growing at kMaxNames.
TEST(Endpoint, NamedHosts) {
  auto a = Address::named("localhost"), b = Address::named("localhost"), c = Address::named("api");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_TRUE(a->is_name());
  EXPECT_FALSE(a->is_unspecified());
  EXPECT_FALSE(a->is_loopback());  // not resolved: this machine's answer is not the dump's
  EXPECT_EQ(a->to_string(), "localhost");
  EXPECT_NE(*a, *Address::parse("127.0.0.1"));
  EXPECT_EQ((Endpoint{*a, 25}).to_string(), "localhost:25");
  EXPECT_EQ(Endpoint::parse("localhost:25")->addr, *a);
  EXPECT_FALSE(Endpoint::parse("[::1:25"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:70000"));
  for (uint32_t i = 0; i < kMaxNames + 10; ++i) intern_name("host-" + std::to_string(i));
  EXPECT_FALSE(Address::named("one-too-many"));
  EXPECT_EQ(Address::named("localhost"), a);  // names already known still resolve
}

// usable() counts each port once, whatever the reserved ranges: overlapping, nested, unsorted,
// partly or wholly outside the pool; equal to asking contains() of every port.
TEST(PortRange, UsableIsEveryPortContainsTakes) {
  const std::vector<std::vector<std::pair<uint16_t, uint16_t>>> cases = {
      {},
      {{40000, 40000}},
      {{40010, 40019}, {40000, 40000}, {40015, 40030}},
      {{30000, 32770}, {60990, 65535}},
      {{1, 65535}},
      {{35000, 36000}, {35500, 35600}, {36000, 36000}, {36001, 36001}},
      {{100, 200}},
  };
  for (const auto& reserved : cases) {
    PortPool p{32768, 60999, reserved};
    int brute = 0;
    for (int port = 0; port <= 65535; ++port) brute += p.contains(static_cast<uint16_t>(port));
    EXPECT_EQ(p.usable(), brute) << reserved.size() << " ranges";
  }
  EXPECT_EQ((PortPool{2000, 1000, {}}).usable(), 0);
}

TEST(PortRange, ParsesKernelText) {
  auto p = parse_port_range("32768\t60999\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->usable(), 28232);
  EXPECT_FALSE(parse_port_range("60999 32768"));
  EXPECT_FALSE(parse_port_range("x"));
  auto r = parse_port_list("40000,40010-40019");
  ASSERT_TRUE(r);
  p->reserved = *r;
  EXPECT_EQ(p->usable(), 28232 - 11);
  EXPECT_FALSE(p->contains(40015));
  EXPECT_TRUE(p->contains(40020));
  EXPECT_TRUE(parse_port_list("")->empty());
  EXPECT_FALSE(parse_port_list("9-1"));
}

}  // namespace
}  // namespace tw
