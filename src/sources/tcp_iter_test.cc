// SPDX-License-Identifier: Apache-2.0
// The two kernel readers of the `bpf` source, the hash walk (with one and with several walkers)
// and the socket-table iterator, against the inet_diag dump, socket by socket, on the real kernel:
// in a namespace on the host's table, in one with a table of its own (tcp_child_ehash_entries),
// and in one whose whole table is a single bucket (a long chain; a chain too long for the walk).
#include "sources/tcp_iter.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <tuple>

#include "bpf/tcp_iter_record.h"
#include "sources/host_reader.h"
#include "sources/live_input.h"
#include "sources/netlink_diag.h"
#include "sources/test_socket_key.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using testing::EnterNetns;
using testing::ScopedNetns;
using testing::Sockets;

using Key = testing::SocketKey;

std::map<Key, int> seen(const std::function<DumpResult(const SocketSink&)>& read,
                        DumpResult* result = nullptr) {
  std::map<Key, int> m;
  DumpResult r = read([&](const Socket& s) { ++m[testing::socket_key(s)]; });
  if (result) *result = r;
  EXPECT_EQ(r.failure, DumpFailure::kNone) << r.message;
  int64_t n = 0;
  for (auto& [k, c] : m) n += c;
  EXPECT_EQ(r.sockets, n);
  return m;
}

auto dump() {
  return [](const SocketSink& s) { return dump_inet_diag(StateMask::all(), s); };
}
auto bpf(BpfReader reader, int walkers = 0, StateMask mask = StateMask::all()) {
  return [=](const SocketSink& s) {
    return read_tcp_iter(mask, s, {.reader = reader, .walkers = walkers});
  };
}

// Sockets in every state a reader distinguishes, both families.
void make_sockets(Sockets* socks, const std::string& ns) {
  constexpr uint16_t kHalfOpen = 7071;
  Sockets::drop_syns_to(ns, 9);
  Sockets::drop_acks_to(ns, kHalfOpen);
  uint16_t p4 = socks->listen("127.0.0.1");
  uint16_t p6 = socks->listen("::1");
  for (int i = 0; i < 3; ++i) socks->established("127.0.0.1", p4);
  for (int i = 0; i < 2; ++i) socks->established("::1", p6);
  for (int i = 0; i < 20; ++i) socks->time_wait("127.0.0.1", p4);
  for (int i = 0; i < 10; ++i) socks->time_wait("::1", p6);
  socks->close_wait("127.0.0.1", p4);
  socks->orphan_fin_wait2("::1", p6);
  socks->syn_sent("127.0.0.1", 9);
  socks->listen("127.0.0.1", kHalfOpen);
  socks->syn_recv("127.0.0.1", kHalfOpen);
}

// Waits (at most 3 s) until FIN_WAIT1 and LAST_ACK, which move on by themselves, are gone: the
// readers run one after the other.
void settle() {
  for (int i = 0; i < 30; ++i) {
    int moving = 0;
    dump_inet_diag(*parse_state_mask({"fin-wait-1", "last-ack"}), [&](const Socket&) { ++moving; });
    if (!moving) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void expect_all_readers_agree() {
  settle();
  auto want = seen(dump());
  EXPECT_GE(want.size(), 40u);
  EXPECT_EQ(seen(bpf(BpfReader::kWalk, 1)), want);
  EXPECT_EQ(seen(bpf(BpfReader::kWalk, 4)), want);
  EXPECT_EQ(seen(bpf(BpfReader::kIterator)), want);
  // The state filter: only TIME_WAIT, from both readers.
  auto tw = *parse_state_mask({"time-wait"});
  DumpResult r;
  seen(bpf(BpfReader::kWalk, 2, tw), &r);
  EXPECT_EQ(r.sockets, 30);
  seen(bpf(BpfReader::kIterator, 0, tw), &r);
  EXPECT_EQ(r.sockets, 30);
}

class TcpIter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tcp_iter_built())
      GTEST_SKIP() << "built without BPF (live_census_test checks the message)";
  }
};

TEST_F(TcpIter, WalkAndIteratorSeeWhatTheDumpSees) {
  ScopedNetns ns;
  Sockets socks;
  EnterNetns in(ns.name());
  make_sockets(&socks, ns.name());
  expect_all_readers_agree();
}

// Runs f on a thread inside a fresh namespace made from `parent` with
// tcp_child_ehash_entries = entries there: the new namespace gets a TCP table of its own (the
// walk must follow the namespace's table pointer, not the host's).
void in_child_with_own_table(const ScopedNetns& parent, int entries,
                             const std::function<void()>& f) {
  parent.set_sysctl("net.ipv4.tcp_child_ehash_entries", std::to_string(entries));
  std::thread t([&] {
    EnterNetns in(parent.name());
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET)";
    // A table of its own also sets tcp_max_tw_buckets to half its size (0 for one bucket), and
    // the default tcp_tw_reuse=2 would let loopback connect() take over our TIME_WAITs.
    ASSERT_EQ(std::system("ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=100000 "
                          "net.ipv4.tcp_tw_reuse=0"),
              0);
    f();
  });
  t.join();
}

TEST_F(TcpIter, NamespaceWithItsOwnTable) {
  ScopedNetns parent;
  in_child_with_own_table(parent, 1024, [] {
    // No half-open sockets here: the drop rules need a named namespace.
    Sockets socks;
    uint16_t p4 = socks.listen("127.0.0.1");
    uint16_t p6 = socks.listen("::1");
    for (int i = 0; i < 25; ++i) socks.time_wait("127.0.0.1", p4);
    for (int i = 0; i < 15; ++i) socks.time_wait("::1", p6);
    for (int i = 0; i < 3; ++i) socks.established("127.0.0.1", p4);
    auto want = seen(dump());
    EXPECT_EQ(want.size(), 40u + 2 + 6);
    EXPECT_EQ(seen(bpf(BpfReader::kWalk, 1)), want);
    EXPECT_EQ(seen(bpf(BpfReader::kWalk, 3)), want);
    EXPECT_EQ(seen(bpf(BpfReader::kIterator)), want);
  });
}

// One bucket for the whole table: every socket on one chain, and the walkers' ranges uneven (one
// of two gets no bucket at all).
TEST_F(TcpIter, OneBucketTable) {
  ScopedNetns parent;
  in_child_with_own_table(parent, 1, [] {
    Sockets socks;
    uint16_t p = socks.listen("127.0.0.1");
    for (int i = 0; i < 300; ++i) socks.time_wait("127.0.0.1", p);
    auto want = seen(dump());
    EXPECT_EQ(want.size(), 301u);
    EXPECT_EQ(seen(bpf(BpfReader::kWalk, 1)), want);
    EXPECT_EQ(seen(bpf(BpfReader::kWalk, 2)), want);
  });
}

// A chain longer than the walk follows: the walk says so (interrupted), never a short count, and
// the bpf source starts over with the iterator.
TEST_F(TcpIter, ChainTooLongFallsBackToTheDump) {
  ScopedNetns parent;
  in_child_with_own_table(parent, 1, [] {
    Sockets socks;
    uint16_t p = socks.listen("127.0.0.1");
    for (int i = 0; i < TW_WALK_MAX_CHAIN + 20; ++i) socks.time_wait("127.0.0.1", p);
    int64_t n = 0;
    DumpResult r = read_tcp_iter(StateMask::all(), [&](const Socket&) { ++n; },
                                 {.reader = BpfReader::kWalk, .walkers = 1});
    EXPECT_EQ(r.failure, DumpFailure::kInterrupted);
    EXPECT_NE(r.message.find("holds more sockets"), std::string::npos) << r.message;

    EXPECT_GT(n, 0);  // what it handed over before it stopped: the caller must start over

    int64_t counted = 0, restarts = 0;
    FunctionReceiver counter([&](const Socket&) { ++counted; },
                             [&] {
                               counted = 0;
                               ++restarts;
                             });
    auto live =
        (*open_live_input(InputTarget{}, SourceKind::kBpf))->stream(StateMask::all(), counter);
    ASSERT_TRUE(live) << live.error();
    EXPECT_EQ(live->source, "bpf");
    EXPECT_EQ(restarts, 1);
    EXPECT_EQ(counted, TW_WALK_MAX_CHAIN + 21);
  });
}

// The walk while connections come and go in the namespace (a socket may be freed and reused under
// it): every walk completes, and counts every TIME_WAIT that existed before it started and none
// that was not there when it ended (none expires within the test's few seconds). Bounded: at most
// 20,000 connections or 4 s.
TEST_F(TcpIter, WalkWhileSocketsComeAndGo) {
  ScopedNetns ns;
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");
  std::atomic<bool> stop{false};
  std::atomic<int> made{0};
  std::thread churn([&] {
    EnterNetns in(ns.name());
    Sockets socks;
    const uint16_t port = socks.listen("127.0.0.1");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (!stop && made < 20000 && std::chrono::steady_clock::now() < until) {
      socks.time_wait("127.0.0.1", port);
      ++made;
    }
  });
  EnterNetns in(ns.name());
  // sockstat's tw counts the namespace's mini-sockets: TIME_WAIT and orphaned FIN_WAIT2 alike.
  auto minis_states = *parse_state_mask({"time-wait", "fin-wait-2"});
  int walks = 0;
  for (; walks < 40 && made < 20000; ++walks) {
    const int64_t before = read_sockstat()->tw;
    int64_t minis = 0;
    DumpResult r = read_tcp_iter(minis_states, [&](const Socket& s) { minis += s.mini; },
                                 {.reader = BpfReader::kWalk, .walkers = 2});
    const int64_t after = read_sockstat()->tw;
    ASSERT_EQ(r.failure, DumpFailure::kNone) << r.message;
    EXPECT_GE(minis, before) << "walk " << walks;
    EXPECT_LE(minis, after) << "walk " << walks;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  churn.join();
  EXPECT_GT(made, 500) << "the churn made too few connections to test anything";
  EXPECT_GE(walks, 5);
}

}  // namespace
}  // namespace tw
