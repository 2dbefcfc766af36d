// SPDX-License-Identifier: Apache-2.0
#include "census/census.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

Socket sock(TcpState st, const char* local, uint16_t lport, const char* remote, uint16_t rport,
            int64_t timer_ms = -1) {
  Socket s;
  s.state = st;
  s.local = {*Address::parse(local), lport};
  s.remote = {*Address::parse(remote), rport};
  s.timer_ms = timer_ms;
  s.mini = st == TcpState::kTimeWait;
  return s;
}

TEST(Census, CountsStatesAndRespectsTheFilter) {
  CensusOptions o;
  o.states = *parse_state_mask({"time-wait", "established"});
  Census c(o);
  c.add(sock(TcpState::kTimeWait, "10.0.0.1", 40000, "10.0.0.2", 80));
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 40001, "10.0.0.2", 80));
  c.add(sock(TcpState::kListen, "0.0.0.0", 22, "0.0.0.0", 0));
  EXPECT_EQ(c.total(), 2);
  EXPECT_EQ(c.count(TcpState::kTimeWait), 1);
  EXPECT_EQ(c.count(TcpState::kListen), 0);
}

TEST(Census, GroupsByTupleSortedLargestFirst) {
  CensusOptions o;
  o.by = GroupBy::kTuple;
  Census c(o);
  for (int i = 0; i < 3; ++i)
    c.add(sock(TcpState::kTimeWait, "10.0.0.1", 40000 + i, "10.0.0.9", 443));
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 41000, "10.0.0.9", 443));
  c.add(sock(TcpState::kTimeWait, "10.0.0.1", 42000, "10.0.0.9", 80));
  auto rows = c.groups();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(describe_key(rows[0].key, GroupBy::kTuple), "10.0.0.1 -> 10.0.0.9:443");
  EXPECT_EQ(rows[0].total, 4);
  EXPECT_EQ(rows[0].counts[state_index(TcpState::kTimeWait)], 3);
  EXPECT_EQ(rows[1].total, 1);
  EXPECT_EQ(c.groups(1).size(), 1u);
}

// The census looks sockets up without building their key: that view must hash and compare
// exactly like the key group_key() builds, for every grouping.
TEST(Census, InPlaceLookupAgreesWithGroupKey) {
  Socket a = sock(TcpState::kEstablished, "10.0.0.1", 40000, "192.0.2.7", 8443);
  Socket b = sock(TcpState::kEstablished, "10.0.0.2", 40001, "192.0.2.8", 8444);
  Socket v6 = sock(TcpState::kEstablished, "::1", 40002, "::1", 8445);
  GroupKeyHash hash;
  GroupKeyEq eq;
  for (GroupBy by : {GroupBy::kState, GroupBy::kPeer, GroupBy::kPeerPort, GroupBy::kLocal,
                     GroupBy::kLocalPort, GroupBy::kTuple}) {
    SCOPED_TRACE(std::string(group_by_name(by)));
    for (const Socket* s : {&a, &b, &v6}) {
      GroupKey k = group_key(*s, by);
      EXPECT_EQ(hash(KeyOf{s, by}), hash(k));
      EXPECT_TRUE(eq(KeyOf{s, by}, k));
    }
    // Sockets that differ in every field are in one group only when the grouping keeps none.
    EXPECT_EQ(eq(KeyOf{&a, by}, group_key(b, by)), by == GroupBy::kState);
    EXPECT_EQ(eq(KeyOf{&a, by}, group_key(v6, by)), by == GroupBy::kState);
  }
}

TEST(Census, GroupKeysKeepOnlyTheirFields) {
  Socket s = sock(TcpState::kEstablished, "10.0.0.1", 40000, "192.0.2.7", 8443);
  EXPECT_EQ(describe_key(group_key(s, GroupBy::kPeer), GroupBy::kPeer), "192.0.2.7");
  EXPECT_EQ(describe_key(group_key(s, GroupBy::kPeerPort), GroupBy::kPeerPort), "8443");
  EXPECT_EQ(describe_key(group_key(s, GroupBy::kLocal), GroupBy::kLocal), "10.0.0.1");
  EXPECT_EQ(describe_key(group_key(s, GroupBy::kLocalPort), GroupBy::kLocalPort), "40000");
  EXPECT_FALSE(parse_group_by("color"));
  EXPECT_EQ(parse_group_by("peer-port"), GroupBy::kPeerPort);
}

// Shell completion offers group_by_names(): each parses back to itself.
TEST(Census, GroupByNamesAreTheAcceptedOnes) {
  ASSERT_EQ(group_by_names().size(), 6u);
  for (std::string_view n : group_by_names()) {
    auto by = parse_group_by(n);
    ASSERT_TRUE(by) << n;
    EXPECT_EQ(group_by_name(*by), n);
  }
}

TEST(Census, PortPressureCountsOnlyPoolPortsTowardEachTuple) {
  CensusOptions o;
  o.pool = *parse_port_range("40000 40099");  // 100 ports
  o.pool->reserved = {{40090, 40099}};        // 90 usable
  Census c(o);
  for (int i = 0; i < 60; ++i)
    c.add(sock(TcpState::kTimeWait, "10.0.0.1", 40000 + i, "10.0.0.9", 80, 30000));
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 40095, "10.0.0.9", 80));   // reserved port
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 22, "10.0.0.50", 51000));  // inbound
  // A listener's port is never taken by connect(), toward any destination.
  c.add(sock(TcpState::kListen, "0.0.0.0", 40050, "0.0.0.0", 0));
  c.add(sock(TcpState::kListen, "::", 40050, "::", 0));            // the same port, counted once
  c.add(sock(TcpState::kListen, "0.0.0.0", 40095, "0.0.0.0", 0));  // reserved already
  c.add(sock(TcpState::kListen, "0.0.0.0", 22, "0.0.0.0", 0));     // outside the range
  auto p = c.pressure();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].in_use, 60);
  EXPECT_EQ(p[0].time_wait, 60);
  EXPECT_EQ(p[0].available, 89);
  EXPECT_NEAR(p[0].percent(), 67.42, 0.01);
}

// A service listening inside the ephemeral range (port 40050) takes connections from many clients:
// each is a one-socket "tuple" on the listening port, which is not source-port use.
TEST(Census, InboundConnectionsToAListenerInTheRangeAreNotPressure) {
  CensusOptions o;
  o.states = *parse_state_mask({"established"});
  o.pool = *parse_port_range("40000 40099");
  Census c(o);
  EXPECT_TRUE(c.source_states().has(TcpState::kListen));
  c.add(sock(TcpState::kListen, "0.0.0.0", 40050, "0.0.0.0", 0));
  for (int i = 0; i < 5; ++i)
    c.add(sock(TcpState::kEstablished, "10.0.0.1", 40050, "10.0.0.7", 50000 + i));
  for (int i = 0; i < 3; ++i)
    c.add(sock(TcpState::kEstablished, "10.0.0.1", 40001 + i, "10.0.0.9", 5432));
  EXPECT_EQ(c.count(TcpState::kListen), 0);  // noted, not counted
  EXPECT_EQ(c.total(), 8);
  auto p = c.pressure();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(c.pressure_count(), 1u);
  EXPECT_EQ(describe_key(p[0].key, GroupBy::kTuple), "10.0.0.1 -> 10.0.0.9:5432");
  EXPECT_EQ(p[0].in_use, 3);
}

TEST(Census, TimeWaitAgesGiveTheCreationRate) {
  Census c({});
  // 10 sockets made 0.5 s ago, 20 made 30.5 s ago, 5 without a timer.
  for (int i = 0; i < 10; ++i) c.add(sock(TcpState::kTimeWait, "::1", 40000 + i, "::1", 80, 59500));
  for (int i = 0; i < 20; ++i) c.add(sock(TcpState::kTimeWait, "::1", 41000 + i, "::1", 80, 29500));
  for (int i = 0; i < 5; ++i) c.add(sock(TcpState::kTimeWait, "::1", 42000 + i, "::1", 80));
  const TimeWaitAges& a = c.time_wait_ages();
  EXPECT_EQ(a.by_bucket[0], 10);
  EXPECT_EQ(a.by_bucket[30], 20);
  EXPECT_EQ(a.without_timer, 5);
  EXPECT_DOUBLE_EQ(a.rate(10), 1.0);
  EXPECT_DOUBLE_EQ(a.rate(60), 0.5);
}

TEST(Census, CountsOrphanedFinWait2MiniSockets) {
  Census c({});
  Socket s = sock(TcpState::kFinWait2, "10.0.0.1", 40000, "10.0.0.9", 80, 50000);
  s.mini = true;
  c.add(s);
  s.mini = false;
  c.add(s);
  EXPECT_EQ(c.count(TcpState::kFinWait2), 2);
  EXPECT_EQ(c.fin_wait2_mini(), 1);
  EXPECT_EQ(c.time_wait_ages().with_timer, 0);
}

// Per local address: the ports its outbound sockets hold over every destination, and how many
// of them serve two or more (connect() shares ports; bind() before connect() does not).
TEST(Census, SourcePoolsCountPortsHeldAndShared) {
  CensusOptions o;
  o.pool = *parse_port_range("40000 40099");
  Census c(o);
  for (int i = 0; i < 10; ++i)
    c.add(sock(TcpState::kEstablished, "10.0.0.1", 40000 + i, "10.0.0.8", 80));
  for (int i = 0; i < 10; ++i)
    c.add(sock(TcpState::kTimeWait, "10.0.0.1", 40005 + i, "10.0.0.9", 80));
  c.add(sock(TcpState::kEstablished, "10.0.0.2", 40000, "10.0.0.9", 80));
  c.add(sock(TcpState::kListen, "0.0.0.0", 40050, "0.0.0.0", 0));
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 40050, "10.0.0.7", 5000));  // inbound
  auto pools = c.source_pools();
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].local.to_string(), "10.0.0.1");
  EXPECT_EQ(pools[0].tuples, 2);
  EXPECT_EQ(pools[0].ports_held, 15);   // 40000-40014
  EXPECT_EQ(pools[0].ports_shared, 5);  // 40005-40009 toward both
  EXPECT_EQ(pools[0].available, 99);    // less the listener's port
  EXPECT_EQ(pools[1].local.to_string(), "10.0.0.2");
  EXPECT_EQ(pools[1].ports_held, 1);
  EXPECT_EQ(pools[1].ports_shared, 0);
}

}  // namespace
}  // namespace tw

namespace tw {
namespace {

const char* fmt_dest(int d) {
  static const char* kDest[] = {"10.93.2.1", "10.93.2.2", "10.93.2.3", "10.93.2.4"};
  return kDest[d];
}

CensusOptions small_pool() {
  CensusOptions o;
  PortPool p;
  p.low = 40000;  // even: connect() takes even ports first, bind(0) odd ones
  p.high = 40199;
  o.pool = p;
  return o;
}

// A client binding (10.93.1.1, 0) then connecting to 4 destinations: its ports are odd (bind()'s
// parity) and serve one destination each; another process connects to a fifth one (even ports).
TEST(BindPool, BindBeforeConnectMakesOnePoolPerAddressAndShrinksEveryTuple) {
  Census c(small_pool());
  uint16_t odd = 40001;
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 20; ++i, odd += 2)
      c.add(sock(TcpState::kTimeWait, "10.93.1.1", odd, fmt_dest(d), 80, 59000 - i * 100));
  c.add(sock(TcpState::kClose, "10.93.1.1", odd, "0.0.0.0", 0));  // bound, not yet connected
  for (int i = 0; i < 10; ++i)
    c.add(sock(TcpState::kTimeWait, "10.93.1.1", 40000 + 2 * i, "10.93.2.9", 80, 50000));
  c.add(sock(TcpState::kListen, "0.0.0.0", 40100, "0.0.0.0", 0));

  EXPECT_EQ(c.bound_only(), 1);
  auto pools = c.source_pools();
  ASSERT_EQ(pools.size(), 1u);
  const SourcePool& p = pools[0];
  EXPECT_TRUE(p.binds);
  EXPECT_EQ(p.ports_held, 91);  // 80 + 1 bound + 10 of the other process
  EXPECT_EQ(p.bound_only, 1);
  EXPECT_EQ(p.bind_parity, 81);
  EXPECT_EQ(p.available, 199);  // 200 less the listener
  EXPECT_EQ(p.pressure.kind, PoolKind::kAddress);
  EXPECT_EQ(p.pressure.in_use, 91);
  EXPECT_EQ(p.pressure.time_wait, 90);
  // connect() skips the 81 bind()-made ports and the listener's for every destination, except
  // a tuple's own (counted in its in_use).
  EXPECT_EQ(c.bind_made_ports(), 82);
  auto other = c.pressure_of(
      group_key(sock(TcpState::kTimeWait, "10.93.1.1", 1, "10.93.2.9", 80), GroupBy::kTuple));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->available, 200 - 82);
  EXPECT_EQ(other->in_use, 10);
  auto own = c.pressure_of(
      group_key(sock(TcpState::kTimeWait, "10.93.1.1", 1, fmt_dest(0), 80), GroupBy::kTuple));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->in_use, 20);
  EXPECT_EQ(own->available, 200 - 82 + 20);
}

// connect() alone (even ports, shared between destinations) is no bind pool, and leaves every
// tuple the whole pool.
TEST(BindPool, ConnectAloneIsNoBindPool) {
  Census c(small_pool());
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 40; ++i)
      c.add(sock(TcpState::kTimeWait, "10.93.1.1", 40000 + 2 * i, fmt_dest(d), 80, 50000));
  auto pools = c.source_pools();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_FALSE(pools[0].binds);
  EXPECT_EQ(c.bind_made_ports(), 0);
  EXPECT_EQ(c.pressure()[0].available, 200);
}

// A socket bound on the wildcard address holds its port for every address, as a listener does;
// one outside the pool holds nothing of it.
TEST(BindPool, WildcardAndOutOfPoolBoundSockets) {
  Census c(small_pool());
  c.add(sock(TcpState::kClose, "0.0.0.0", 40011, "0.0.0.0", 0));
  c.add(sock(TcpState::kClose, "10.0.0.1", 5000, "0.0.0.0", 0));
  c.add(sock(TcpState::kEstablished, "10.0.0.1", 40002, "10.0.0.9", 80));
  EXPECT_EQ(c.bound_only(), 1);
  EXPECT_EQ(c.pressure()[0].available, 199);
  EXPECT_EQ(c.bind_made_ports(), 1);
}

}  // namespace
}  // namespace tw
