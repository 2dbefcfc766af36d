// SPDX-License-Identifier: Apache-2.0
// The census against the real kernel: sockets in known states inside a namespace made for the
// test, counted through inet_diag, through /proc/net/tcp, and by `ss`, which must all agree.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

#include "census/census.h"
#include "census/port_pool.h"
#include "os/unique_fd.h"
#include "sources/host_reader.h"
#include "sources/live_input.h"
#include "sources/netlink_diag.h"
#include "sources/tcp_iter.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using testing::EnterNetns;
using testing::ScopedNetns;
using testing::Sockets;

Census count_in(const std::string& ns, SourceKind kind, CensusOptions opts = {}) {
  EnterNetns in(ns);
  if (!opts.pool) opts.pool = port_pool_for(read_host_facts()).pool;
  auto c = std::make_unique<Census>(opts);
  FunctionReceiver counted([&](const Socket& s) { c->add(s); },
                           [&] { c = std::make_unique<Census>(opts); });
  auto input = open_live_input(InputTarget{}, kind);
  EXPECT_TRUE(input) << input.error();
  if (!input) return *c;
  auto r = (*input)->stream(opts.states, counted);
  EXPECT_TRUE(r) << r.error();
  if (r) {
    EXPECT_EQ(r->source, kind == SourceKind::kProc  ? "proc"
                         : kind == SourceKind::kBpf ? "bpf"
                                                    : "netlink");
  }
  return *c;
}

// `ss -tan` state column counts, by ss's names.
std::map<std::string, int64_t> ss_counts(const std::string& ns) {
  std::string out = testing::run_output("ip netns exec " + ns + " ss -tanH");
  std::map<std::string, int64_t> m;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string state;
    if (f >> state) m[state]++;
  }
  return m;
}

// Waits (at most 3 s) until transient states (LAST-ACK, FIN-WAIT-1) have settled.
void settle(const std::string& ns) {
  for (int i = 0; i < 30; ++i) {
    Census c = count_in(ns, SourceKind::kNetlink);
    if (c.count(TcpState::kLastAck) == 0 && c.count(TcpState::kFinWait1) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

class LiveCensus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ScopedNetns::remove_stale(); }
  void SetUp() override {
    ns_ = std::make_unique<ScopedNetns>();
    Sockets::drop_syns_to(ns_->name(), 9);
    EnterNetns in(ns_->name());
    uint16_t p4 = socks_.listen("127.0.0.1");
    uint16_t p6 = socks_.listen("::1");
    for (int i = 0; i < 3; ++i) socks_.established("127.0.0.1", p4);
    for (int i = 0; i < 2; ++i) socks_.established("::1", p6);
    for (int i = 0; i < 5; ++i) socks_.time_wait("127.0.0.1", p4);
    for (int i = 0; i < 4; ++i) socks_.time_wait("::1", p6);
    for (int i = 0; i < 2; ++i) socks_.close_wait("127.0.0.1", p4);
    socks_.orphan_fin_wait2("::1", p6);
    socks_.syn_sent("127.0.0.1", 9);
    socks_.syn_sent("::1", 9);
    port4_ = p4;
  }
  std::unique_ptr<ScopedNetns> ns_;
  Sockets socks_;
  uint16_t port4_ = 0;
};

TEST_F(LiveCensus, CountsEveryStateExactly) {
  settle(ns_->name());
  for (SourceKind kind : {SourceKind::kNetlink, SourceKind::kProc}) {
    SCOPED_TRACE(kind == SourceKind::kProc ? "proc" : "netlink");
    Census c = count_in(ns_->name(), kind);
    EXPECT_EQ(c.count(TcpState::kListen), 2);
    EXPECT_EQ(c.count(TcpState::kEstablished), 10);
    EXPECT_EQ(c.count(TcpState::kTimeWait), 9);
    EXPECT_EQ(c.count(TcpState::kCloseWait), 3);
    EXPECT_EQ(c.count(TcpState::kFinWait2), 3);
    EXPECT_EQ(c.fin_wait2_mini(), 1);
    EXPECT_EQ(c.count(TcpState::kSynSent), 2);
    EXPECT_EQ(c.total(), 29);
    // Every TIME_WAIT here is seconds old: all fall in the first few one-second bins.
    EXPECT_EQ(c.time_wait_ages().with_timer, 9);
    EXPECT_EQ(c.time_wait_ages().rate(60), 9.0 / 60);
  }
}

// Both ways of asking the kernel (one walk for both families, or one dump per family) see the
// same sockets.
TEST_F(LiveCensus, OneWalkAndPerFamilyDumpsAgree) {
  settle(ns_->name());
  EnterNetns in(ns_->name());
  for (StateMask mask :
       {StateMask::all(), *parse_state_mask({"time-wait"}), *parse_state_mask({"fin-wait-2"})}) {
    Census a({.states = mask}), b({.states = mask});
    DumpResult ra = dump_inet_diag(
        mask, [&](const Socket& s) { a.add(s); }, DumpMethod::kOneWalk);
    DumpResult rb = dump_inet_diag(
        mask, [&](const Socket& s) { b.add(s); }, DumpMethod::kPerFamily);
    ASSERT_EQ(ra.failure, DumpFailure::kNone) << ra.message;
    ASSERT_EQ(rb.failure, DumpFailure::kNone) << rb.message;
    EXPECT_EQ(a.counts(), b.counts()) << mask.describe();
    EXPECT_GT(a.total(), 0);
    EXPECT_EQ(a.fin_wait2_mini(), b.fin_wait2_mini());
  }
}

TEST_F(LiveCensus, MatchesSs) {
  settle(ns_->name());
  Census c = count_in(ns_->name(), SourceKind::kNetlink);
  auto ss = ss_counts(ns_->name());
  for (int i = 0; i < kStateCount; ++i) {
    std::string name(ss_name(state_at(i)));
    EXPECT_EQ(c.counts()[i], ss.count(name) ? ss[name] : 0) << name;
  }
}

TEST_F(LiveCensus, KernelFilterSendsOnlyRequestedStates) {
  settle(ns_->name());
  CensusOptions o;
  o.states = *parse_state_mask({"time-wait"});
  Census tw = count_in(ns_->name(), SourceKind::kNetlink, o);
  EXPECT_EQ(tw.total(), 9);  // the FIN_WAIT2 mini-socket is not a TIME_WAIT
  o.states = *parse_state_mask({"fin-wait-2"});
  Census fw2 = count_in(ns_->name(), SourceKind::kNetlink, o);
  EXPECT_EQ(fw2.total(), 3);  // full sockets and the mini-socket from the TIME_WAIT table
  EXPECT_EQ(fw2.fin_wait2_mini(), 1);
  o.states = *parse_state_mask({"connected"});
  Census conn = count_in(ns_->name(), SourceKind::kNetlink, o);
  EXPECT_EQ(conn.total(), 27);
}

TEST_F(LiveCensus, GroupsByTupleAndPeerPort) {
  settle(ns_->name());
  CensusOptions o;
  o.by = GroupBy::kTuple;
  o.states = *parse_state_mask({"time-wait"});
  Census c = count_in(ns_->name(), SourceKind::kNetlink, o);
  auto rows = c.groups();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(describe_key(rows[0].key, GroupBy::kTuple),
            fmt::format("127.0.0.1 -> 127.0.0.1:{}", port4_));
  EXPECT_EQ(rows[0].total, 5);
  EXPECT_EQ(rows[1].total, 4);
  o.by = GroupBy::kPeerPort;
  o.states = StateMask::all();
  Census pp = count_in(ns_->name(), SourceKind::kNetlink, o);
  auto prow = pp.groups();
  // Clients toward port4: 3 ESTAB + 5 TIME-WAIT + 2 FIN-WAIT-2 = 10.
  bool found = false;
  for (auto& r : prow)
    if (r.key.remote.port == port4_) {
      found = true;
      EXPECT_EQ(r.total, 10);
    }
  EXPECT_TRUE(found);
}

// What a census shows, as comparable values: counts, minis, TIME_WAITs with timers, groups and
// port pressure per tuple (ages move on between reads, so their bins are left out).
using Groups = std::vector<std::pair<std::string, StateCounts>>;
using Tuples = std::vector<std::tuple<std::string, int64_t, int64_t>>;
std::tuple<StateCounts, int64_t, int64_t, Groups, Tuples> seen(const Census& c, GroupBy by) {
  Groups g;
  for (auto& r : c.groups()) g.emplace_back(describe_key(r.key, by), r.counts);
  std::sort(g.begin(), g.end());
  Tuples t;
  for (auto& p : c.pressure())
    t.emplace_back(describe_key(p.key, GroupBy::kTuple), p.in_use, p.time_wait);
  std::sort(t.begin(), t.end());
  return {c.counts(), c.fin_wait2_mini(), c.time_wait_ages().with_timer, g, t};
}

// The iterator sees what the dump and /proc see: every state, both families, FIN_WAIT2
// mini-sockets, request sockets (SYN_RECV), with the kernel filter and every grouping.
TEST_F(LiveCensus, BpfNetlinkAndProcCountTheSame) {
  if (!tcp_iter_built()) {
    // A build without the BPF toolchain says so when asked for the iterator, and auto still reads.
    EnterNetns in(ns_->name());
    FunctionReceiver ignored([](const Socket&) {}, {});
    auto r = (*open_live_input(InputTarget{}, SourceKind::kBpf))->stream(StateMask::all(), ignored);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("bpf: not built"), std::string::npos) << r.error();
    return;
  }
  constexpr uint16_t kHalfOpen = 7070;
  Sockets::drop_acks_to(ns_->name(), kHalfOpen);
  {
    EnterNetns in(ns_->name());
    socks_.listen("127.0.0.1", kHalfOpen);
    socks_.listen("::1", kHalfOpen);
    socks_.syn_recv("127.0.0.1", kHalfOpen);
    socks_.syn_recv("127.0.0.1", kHalfOpen);
    socks_.syn_recv("::1", kHalfOpen);
  }
  settle(ns_->name());
  Census all = count_in(ns_->name(), SourceKind::kBpf);
  EXPECT_EQ(all.count(TcpState::kSynRecv), 3);
  EXPECT_EQ(all.count(TcpState::kTimeWait), 9);
  EXPECT_EQ(all.count(TcpState::kFinWait2), 3);
  EXPECT_EQ(all.fin_wait2_mini(), 1);
  EXPECT_EQ(all.count(TcpState::kListen), 4);
  EXPECT_EQ(all.count(TcpState::kSynSent), 2);
  EXPECT_EQ(all.count(TcpState::kEstablished), 13);  // 10 + the 3 clients of half-open servers
  EXPECT_EQ(all.time_wait_ages().with_timer, 9);
  for (auto names : std::vector<std::vector<std::string>>{
           {"all"}, {"time-wait"}, {"fin-wait-2"}, {"syn-recv"}, {"established"}, {"listening"}}) {
    for (GroupBy by : {GroupBy::kState, GroupBy::kTuple, GroupBy::kLocalPort, GroupBy::kPeer}) {
      CensusOptions o{.states = *parse_state_mask(names), .by = by};
      SCOPED_TRACE(fmt::format("{} by {}", names[0], group_by_name(by)));
      auto bpf = seen(count_in(ns_->name(), SourceKind::kBpf, o), by);
      EXPECT_EQ(bpf, seen(count_in(ns_->name(), SourceKind::kNetlink, o), by));
      EXPECT_EQ(bpf, seen(count_in(ns_->name(), SourceKind::kProc, o), by));
    }
  }
}

// Which TIME_WAITs tcp_tw_reuse could take now, checked against the kernel itself: with a
// one-port range, a new connect() to the same destination gets that port only if reuse may take
// the TIME_WAIT holding it.
TEST(LiveTimeWaitReuse, BpfTellsWhatTheKernelWouldReuse) {
  if (!tcp_iter_built())
    GTEST_SKIP() << "built without BPF: BpfNetlinkAndProcCountTheSame checks "
                    "that the bpf source says so";
  ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40000");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "1");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse_delay", "60000");
  Sockets socks;
  uint16_t port = 0;
  auto count = [&] {
    CensusOptions o{.states = *parse_state_mask({"time-wait"})};
    return count_in(ns.name(), SourceKind::kBpf, o).time_wait_reuse();
  };
  auto kernel_reuses = [&] {
    EnterNetns in(ns.name());
    try {
      socks.established("127.0.0.1", port);
      return true;
    } catch (const std::runtime_error&) {
      return false;  // connect(): EADDRNOTAVAIL, the one port is held
    }
  };
  {
    EnterNetns in(ns.name());
    port = socks.listen("127.0.0.1", 8080);
    socks.time_wait("127.0.0.1", port);
  }
  // Younger than a 60 s delay: not yet.
  ReuseCounts young = count();
  EXPECT_EQ(young.not_yet, 1);
  EXPECT_EQ(young.reusable, 0);
  EXPECT_FALSE(kernel_reuses());
  // A 1 ms delay has passed: reusable, and the kernel takes the port.
  ns.set_sysctl("net.ipv4.tcp_tw_reuse_delay", "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ReuseCounts old = count();
  EXPECT_EQ(old.reusable, 1);
  EXPECT_EQ(old.known(), 1);
  EXPECT_TRUE(kernel_reuses());
  // Without timestamps reuse can never take the port.
  ns.set_sysctl("net.ipv4.tcp_timestamps", "0");
  {
    // The reused connection keeps port 40000: one more port for a TIME_WAIT without timestamps.
    ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40001");
    EnterNetns in(ns.name());
    socks.time_wait("127.0.0.1", port);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ReuseCounts none = count();
  EXPECT_EQ(none.no_timestamps, 1);
  EXPECT_EQ(none.known(), 1);
  EXPECT_FALSE(kernel_reuses());
}

// Connects to addr:port until connect() fails (at most 100 times: the ranges here hold 20),
// keeping the sockets in `socks`; returns how many connected, and the failing call's errno.
std::pair<int, int> connect_until_failure(const char* addr, uint16_t port, Sockets* socks) {
  sockaddr_in6 to6{};
  sockaddr_in to4{};
  to6.sin6_family = AF_INET6;
  to6.sin6_port = to4.sin_port = htons(port);
  to4.sin_family = AF_INET;
  const bool v6 = inet_pton(AF_INET6, addr, &to6.sin6_addr) == 1;
  if (!v6 && inet_pton(AF_INET, addr, &to4.sin_addr) != 1) return {0, EINVAL};
  const sockaddr* to =
      v6 ? reinterpret_cast<const sockaddr*>(&to6) : reinterpret_cast<const sockaddr*>(&to4);
  const socklen_t len = v6 ? sizeof to6 : sizeof to4;
  for (int i = 0; i < 100; ++i) {
    os::UniqueFd fd(socket(to->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return {i, errno};
    if (connect(fd.get(), to, len) != 0) return {i, errno};
    socks->add(fd.release());
  }
  return {100, 0};
}

TEST(LivePortPressure, ShrunkRangeFlagsTheTuple) {
  ScopedNetns ns;
  // 50 ports; the kernel prefers even ports for connect() but uses odd ones too when needed.
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40049");
  Sockets socks;
  {
    EnterNetns in(ns.name());
    uint16_t port = socks.listen("127.0.0.1", 8080);
    for (int i = 0; i < 30; ++i) socks.time_wait("127.0.0.1", port);
  }
  Census c = count_in(ns.name(), SourceKind::kNetlink);
  auto p = c.pressure();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].in_use, 30);
  EXPECT_EQ(p[0].time_wait, 30);
  EXPECT_EQ(p[0].available, 50);
  EXPECT_DOUBLE_EQ(p[0].percent(), 60.0);
  {
    EnterNetns in(ns.name());
    for (int i = 0; i < 16; ++i) socks.time_wait("127.0.0.1", 8080);
  }
  Census c2 = count_in(ns.name(), SourceKind::kNetlink);
  EXPECT_DOUBLE_EQ(c2.pressure()[0].percent(), 92.0);
}

// connect() never takes a port a listener holds (its bind bucket is not shared), toward any
// destination: 20 ports with 8 listeners inside leave 12, and the census must say 12, not 20.
TEST(LivePortPressure, ListenersInsideTheRangeAreNotAvailable) {
  ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40019");
  Sockets socks;
  int connected = 0, last_errno = 0;
  {
    EnterNetns in(ns.name());
    uint16_t port = socks.listen("127.0.0.1", 8080);
    for (uint16_t p = 40012; p <= 40019; ++p) socks.listen("127.0.0.1", p);
    std::tie(connected, last_errno) = connect_until_failure("127.0.0.1", port, &socks);
  }
  ASSERT_EQ(last_errno, EADDRNOTAVAIL);
  EXPECT_EQ(connected, 12);
  Census c = count_in(ns.name(), SourceKind::kNetlink);
  auto p = c.pressure();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].in_use, connected);
  EXPECT_EQ(p[0].available, connected);
  EXPECT_DOUBLE_EQ(p[0].percent(), 100.0);
}

// A dual-stack socket connected to ::ffff:127.0.0.1 takes its port from the IPv4 tuple's pool
// (tcp_v6_connect hands it to tcp_v4_connect): 12 IPv4 connections in a 20-port range leave 8
// for it. The census must count one tuple 100 % in use, not 60 % and 40 %.
TEST(LivePortPressure, MappedIPv6SharesTheIPv4Tuple) {
  ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40019");
  Sockets socks;
  int mapped = 0, last_errno = 0;
  {
    EnterNetns in(ns.name());
    uint16_t port = socks.listen("::", 8080);  // dual-stack: IPv4 and mapped clients reach it
    for (int i = 0; i < 12; ++i) socks.established("127.0.0.1", port);
    std::tie(mapped, last_errno) = connect_until_failure("::ffff:127.0.0.1", port, &socks);
  }
  ASSERT_EQ(last_errno, EADDRNOTAVAIL);
  EXPECT_EQ(mapped, 8);
  Census c = count_in(ns.name(), SourceKind::kNetlink);
  auto p = c.pressure();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(describe_key(p[0].key, GroupBy::kTuple), "127.0.0.1 -> 127.0.0.1:8080");
  EXPECT_EQ(p[0].in_use, 12 + mapped);
  EXPECT_DOUBLE_EQ(p[0].percent(), 100.0);
  GroupKey as_printed = p[0].key;
  as_printed.local.addr = *Address::parse("::ffff:127.0.0.1");
  as_printed.remote.addr = *Address::parse("::ffff:127.0.0.1");
  ASSERT_TRUE(c.pressure_of(as_printed));
  EXPECT_EQ(c.pressure_of(as_printed)->in_use, 12 + mapped);
}

TEST(LiveTimeWaitRate, EstimatesAKnownPace) {
  ScopedNetns ns;
  Sockets socks;
  // 24 TIME_WAITs every 0.3 s for 3 s: 80 per second.
  constexpr int kBatches = 10, kPerBatch = 24;
  auto start = std::chrono::steady_clock::now();
  {
    EnterNetns in(ns.name());
    uint16_t port = socks.listen("127.0.0.1");
    for (int b = 0; b < kBatches; ++b) {
      std::this_thread::sleep_until(start + std::chrono::milliseconds(300 * b));
      for (int i = 0; i < kPerBatch; ++i) socks.time_wait("127.0.0.1", port);
    }
  }
  // At 2.85 s the batches are 2.85, 2.55, ..., 0.15 s old: all in the last 3 one-second bins,
  // each batch 0.15 s away from a bin edge.
  std::this_thread::sleep_until(start + std::chrono::milliseconds(2850));
  Census c = count_in(ns.name(), SourceKind::kNetlink);
  const TimeWaitAges& a = c.time_wait_ages();
  ASSERT_EQ(a.with_timer, kBatches * kPerBatch);
  // Over the last 3 s the pace was 80/s; allow 15 % for scheduling jitter of the batches.
  EXPECT_NEAR(a.rate(3), 80.0, 12.0);
  EXPECT_DOUBLE_EQ(a.rate(60), kBatches * kPerBatch / 60.0);
  EXPECT_EQ(a.by_bucket[10], 0);  // nothing older than the test
}

}  // namespace
}  // namespace tw
