// SPDX-License-Identifier: Apache-2.0
// read_tcp_all_netns, the one walk of the shared TCP table for every namespace, against reads of
// each namespace on its own (the inet_diag dump and the single-namespace walk entered in it),
// socket by socket, on the real kernel: many namespaces with sockets in every state of both
// families; a namespace with a table of its own (tcp_child_ehash_entries), which the walk leaves
// out and which is read apart; TIME_WAIT reuse decided with each namespace's tcp_tw_reuse_delay;
// namespaces and connections that come and go during the walks; the fallback when the walk stops.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "bpf/tcp_iter_record.h"
#include "os/netns.h"
#include "sources/netlink_diag.h"
#include "sources/tcp_iter.h"
#include "sources/test_socket_key.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using testing::EnterNetns;
using testing::ScopedNetns;
using testing::Sockets;

using Key = testing::SocketKey;
using Sockets_ = std::map<Key, int>;
using PerNetns = std::map<uint64_t, Sockets_>;
using testing::socket_key;

uint64_t inode_of(const os::Netns& ns) {
  struct stat st {};
  EXPECT_EQ(fstat(ns.fd(), &st), 0);
  return st.st_ino;
}
uint64_t inode_of(const ScopedNetns& ns) { return inode_of(ns.netns()); }

PerNetns walk_all(StateMask mask = StateMask::all(), int walkers = 0,
                  DumpResult* result = nullptr) {
  PerNetns m;
  int64_t n = 0;
  DumpResult r = read_tcp_all_netns(mask,
                                    [&](uint64_t netns, const Socket& s) {
                                      ++m[netns][socket_key(s)];
                                      ++n;
                                    },
                                    {.walkers = walkers});
  EXPECT_EQ(r.failure, DumpFailure::kNone) << r.message;
  EXPECT_EQ(r.sockets, n);
  if (result) *result = r;
  return m;
}

// The calling thread's namespace, read on its own.
Sockets_ dump_here(StateMask mask = StateMask::all()) {
  Sockets_ m;
  DumpResult r = dump_inet_diag(mask, [&](const Socket& s) { ++m[socket_key(s)]; });
  EXPECT_EQ(r.failure, DumpFailure::kNone) << r.message;
  return m;
}
Sockets_ walk_here(StateMask mask = StateMask::all()) {
  Sockets_ m;
  DumpResult r = read_tcp_iter(mask, [&](const Socket& s) { ++m[socket_key(s)]; },
                               {.reader = BpfReader::kWalk, .walkers = 1});
  EXPECT_EQ(r.failure, DumpFailure::kNone) << r.message;
  return m;
}

// Waits (at most 3 s) until FIN_WAIT1 and LAST_ACK, which move on by themselves, are gone from
// the calling thread's namespace.
void settle() {
  for (int i = 0; i < 30; ++i) {
    int moving = 0;
    dump_inet_diag(*parse_state_mask({"fin-wait-1", "last-ack"}), [&](const Socket&) { ++moving; });
    if (!moving) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Sockets in every state a reader distinguishes, both families; `salt` varies the counts so no
// two namespaces hold the same set.
void make_sockets(Sockets* socks, const std::string& ns, int salt) {
  constexpr uint16_t kHalfOpen = 7071;
  Sockets::drop_syns_to(ns, 9);
  Sockets::drop_acks_to(ns, kHalfOpen);
  uint16_t p4 = socks->listen("127.0.0.1");
  uint16_t p6 = socks->listen("::1");
  for (int i = 0; i < 2 + salt % 3; ++i) socks->established("127.0.0.1", p4);
  for (int i = 0; i < 1 + salt % 2; ++i) socks->established("::1", p6);
  for (int i = 0; i < 5 + salt; ++i) socks->time_wait("127.0.0.1", p4);
  for (int i = 0; i < 3 + salt % 4; ++i) socks->time_wait("::1", p6);
  socks->close_wait("127.0.0.1", p4);
  socks->orphan_fin_wait2("::1", p6);
  socks->orphan_fin_wait2("127.0.0.1", p4);
  socks->syn_sent("127.0.0.1", 9);
  socks->listen("127.0.0.1", kHalfOpen);
  socks->syn_recv("127.0.0.1", kHalfOpen);
}

class TcpAllNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tcp_iter_built())
      GTEST_SKIP() << "built without BPF (tcp_iter_nobpf.cc: read_tcp_all_netns says so)";
  }
};

// 16 namespaces on the host's table, each read by the one walk (1 and 3 walkers) exactly as the
// dump and the single-namespace walk read it entered in it.
TEST_F(TcpAllNetns, OneWalkEqualsEachNamespaceReadApart) {
  constexpr int kNamespaces = 16;
  std::vector<std::unique_ptr<ScopedNetns>> ns;
  std::vector<std::unique_ptr<Sockets>> socks;
  for (int i = 0; i < kNamespaces; ++i) {
    ns.push_back(std::make_unique<ScopedNetns>());
    socks.push_back(std::make_unique<Sockets>());
    EnterNetns in(ns[i]->name());
    make_sockets(socks[i].get(), ns[i]->name(), i);
  }
  PerNetns want;
  for (int i = 0; i < kNamespaces; ++i) {
    EnterNetns in(ns[i]->name());
    settle();
    want[inode_of(*ns[i])] = dump_here();
    EXPECT_EQ(walk_here(), want[inode_of(*ns[i])]) << ns[i]->name();
  }
  for (int walkers : {1, 3}) {
    PerNetns got = walk_all(StateMask::all(), walkers);
    for (int i = 0; i < kNamespaces; ++i) {
      const uint64_t ino = inode_of(*ns[i]);
      const Sockets_& w = want[ino];
      EXPECT_GE(w.size(), 26u);
      // Every state of both families is there to be compared.
      std::set<int> states;
      std::set<std::string> families;
      for (auto& [k, c] : w) {
        states.insert(std::get<0>(k));
        families.insert(std::get<1>(k).find(':') == std::string::npos ? "v4" : "v6");
      }
      EXPECT_EQ(states.size(), 7u) << "LISTEN ESTABLISHED TIME_WAIT CLOSE_WAIT FIN_WAIT2 "
                                      "SYN_SENT SYN_RECV";
      EXPECT_EQ(families.size(), 2u);
      EXPECT_EQ(got[ino], w) << ns[i]->name() << " with " << walkers << " walkers";
    }
  }
  // The state filter applies to every namespace alike.
  const auto tw = *parse_state_mask({"time-wait"});
  PerNetns got = walk_all(tw, 2);
  for (int i = 0; i < kNamespaces; ++i) {
    int64_t n = 0;
    for (auto& [k, c] : got[inode_of(*ns[i])]) n += c;
    EXPECT_EQ(n, 8 + i + i % 4) << ns[i]->name();
  }
}

// A namespace made with tcp_child_ehash_entries set in its parent has an established table of
// its own, and shares the listening table (lhash2) with every namespace: the walk from the host
// reports none of its sockets, listeners included; the walk run inside it reports its sockets
// alone, exactly as the dump there, and none of the host table's listeners.
TEST_F(TcpAllNetns, NamespaceWithItsOwnTableIsReadApart) {
  ScopedNetns parent;
  Sockets parent_socks;
  uint16_t parent_port;
  {
    EnterNetns in(parent.name());
    parent_port = parent_socks.listen("127.0.0.1");
    for (int i = 0; i < 4; ++i) parent_socks.time_wait("127.0.0.1", parent_port);
  }
  parent.set_sysctl("net.ipv4.tcp_child_ehash_entries", "1024");
  std::optional<os::Netns> child;
  auto child_socks = std::make_unique<Sockets>();
  std::thread t([&] {
    EnterNetns in(parent.name());
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET)";
    // A table of its own also sets tcp_max_tw_buckets to half its size, and the default
    // tcp_tw_reuse=2 would let loopback connect() take over our TIME_WAITs.
    ASSERT_EQ(std::system("ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=100000 "
                          "net.ipv4.tcp_tw_reuse=0"),
              0);
    ASSERT_EQ(std::system("test \"$(sysctl -n net.ipv4.tcp_ehash_entries)\" -gt 0"), 0)
        << "the child has no table of its own";
    uint16_t p4 = child_socks->listen("127.0.0.1");
    uint16_t p6 = child_socks->listen("::1");
    for (int i = 0; i < 9; ++i) child_socks->time_wait("127.0.0.1", p4);
    for (int i = 0; i < 5; ++i) child_socks->time_wait("::1", p6);
    for (int i = 0; i < 2; ++i) child_socks->established("127.0.0.1", p4);
    child_socks->orphan_fin_wait2("127.0.0.1", p4);
    child = *os::Netns::of_self();
  });
  t.join();
  ASSERT_TRUE(child);
  const uint64_t child_ino = inode_of(*child);
  const uint64_t parent_ino = inode_of(parent);

  Sockets_ child_want, child_alone;
  PerNetns child_walk;
  ASSERT_TRUE(child->run_in([&] {
    settle();
    child_want = dump_here();
    child_walk = walk_all(StateMask::all(), 2);
  }));
  EXPECT_EQ(child_want.size(), 2u + 14 + 4 + 2);
  ASSERT_EQ(child_walk.size(), 1u) << "the child's walk reported other namespaces' sockets";
  EXPECT_EQ(child_walk.begin()->first, child_ino);
  EXPECT_EQ(child_walk[child_ino], child_want);

  PerNetns host = walk_all(StateMask::all(), 2);
  EXPECT_EQ(host.count(child_ino), 0u) << "the child's own table was counted with the host's";
  Sockets_ parent_want;
  {
    EnterNetns in(parent.name());
    parent_want = dump_here();
  }
  EXPECT_EQ(parent_want.size(), 5u);
  EXPECT_EQ(host[parent_ino], parent_want);
}

// One walk crosses namespaces whose tcp_tw_reuse_delay differs: each TIME_WAIT's reuse is decided
// with its own namespace's delay, as the kernel's connect() would (tcp_twsk_unique), and as the
// single-namespace walk told that delay decides it.
TEST_F(TcpAllNetns, ReuseFollowsEachNamespacesDelay) {
  if (access("/proc/sys/net/ipv4/tcp_tw_reuse_delay", F_OK) != 0)
    GTEST_SKIP() << "this kernel has no tcp_tw_reuse_delay (6.14+): one delay for all";
  ScopedNetns soon, late;
  soon.set_sysctl("net.ipv4.tcp_tw_reuse_delay", "1");
  late.set_sysctl("net.ipv4.tcp_tw_reuse_delay", "60000");
  std::map<uint64_t, uint32_t> delays = {{inode_of(soon), 1}, {inode_of(late), 60000}};
  Sockets a, b;
  for (auto [ns, socks] : {std::pair{&soon, &a}, std::pair{&late, &b}}) {
    EnterNetns in(ns->name());
    ns->set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // keep the TIME_WAITs ours (see tw_factory)
    uint16_t p = socks->listen("127.0.0.1");
    for (int i = 0; i < 12; ++i) socks->time_wait("127.0.0.1", p);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::map<uint64_t, std::map<TwReuse, int>> got;
  AllNetnsOptions options;
  options.reuse_delay_ms = [&](uint64_t ino) {
    auto it = delays.find(ino);
    return it == delays.end() ? 1000u : it->second;
  };
  DumpResult r = read_tcp_all_netns(
      *parse_state_mask({"time-wait"}),
      [&](uint64_t ino, const Socket& s) {
        if (delays.count(ino)) ++got[ino][s.reuse];
      },
      options);
  ASSERT_EQ(r.failure, DumpFailure::kNone) << r.message;
  EXPECT_EQ(got[inode_of(soon)], (std::map<TwReuse, int>{{TwReuse::kReusable, 12}}));
  EXPECT_EQ(got[inode_of(late)], (std::map<TwReuse, int>{{TwReuse::kNotYet, 12}}));
  // The single-namespace walk, told each delay, decides alike.
  for (auto [ns, delay] : {std::pair{&soon, 1u}, std::pair{&late, 60000u}}) {
    EnterNetns in(ns->name());
    std::map<TwReuse, int> alone;
    read_tcp_iter(*parse_state_mask({"time-wait"}), [&](const Socket& s) { ++alone[s.reuse]; },
                  {.reuse_delay_ms = delay, .reader = BpfReader::kWalk});
    EXPECT_EQ(alone, got[inode_of(*ns)]) << ns->name();
  }
}

// Walks while namespaces are made and deleted and connections come and go. Stable namespaces keep
// a fixed set of sockets: every walk reports each of them whole. Each churned namespace listens on
// an address of its own (127.77.x.y): every socket the walk reports on such an address carries
// the inode of the namespace that had it. Bounded: at most 4 s, 80 namespaces, 20,000
// connections, 40 walks.
TEST_F(TcpAllNetns, WalksWhileNamespacesAndConnectionsComeAndGo) {
  constexpr int kStable = 4;
  std::vector<std::unique_ptr<ScopedNetns>> stable;
  std::vector<std::unique_ptr<Sockets>> stable_socks;
  PerNetns want;
  for (int i = 0; i < kStable; ++i) {
    stable.push_back(std::make_unique<ScopedNetns>());
    stable_socks.push_back(std::make_unique<Sockets>());
    EnterNetns in(stable[i]->name());
    stable[i]->set_sysctl("net.ipv4.tcp_tw_reuse", "0");
    uint16_t p4 = stable_socks[i]->listen("127.0.0.1");
    uint16_t p6 = stable_socks[i]->listen("::1");
    for (int k = 0; k < 20 + i; ++k) stable_socks[i]->time_wait("127.0.0.1", p4);
    for (int k = 0; k < 10; ++k) stable_socks[i]->time_wait("::1", p6);
    for (int k = 0; k < 3; ++k) stable_socks[i]->established("::1", p6);
    settle();
    want[inode_of(*stable[i])] = dump_here();
  }
  // At least 5 walks, and walks for 4 s; the churn goes on until they end (bounded in count,
  // and by a minute on a machine slow enough to need it): a loaded machine loads the program
  // slower, and a walk count bounded by time alone was 3 there.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  const auto churn_until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<bool> stop{false};
  std::mutex m;
  std::map<std::string, uint64_t> churned;  // 127.77.x.y -> the inode of the namespace that had it
  std::atomic<int> namespaces{0}, connections{0};
  std::thread ns_churn([&] {
    for (int i = 0; i < 80 && !stop && std::chrono::steady_clock::now() < churn_until; ++i) {
      ScopedNetns ns;
      const std::string addr = fmt::format("127.77.{}.{}", i / 200, 1 + i % 200);
      {
        std::lock_guard lock(m);
        churned[addr] = inode_of(ns);
      }
      EnterNetns in(ns.name());
      Sockets socks;
      uint16_t p = socks.listen(addr);
      for (int k = 0; k < 10; ++k) socks.time_wait(addr, p);
      socks.established(addr, p);
      ++namespaces;
    }  // deleted with its sockets, TIME_WAIT purged by the kernel
  });
  std::thread conn_churn([&] {
    EnterNetns in(stable[0]->name());
    Sockets socks;
    const uint16_t p = socks.listen("127.66.0.1");
    while (!stop && connections < 20000 && std::chrono::steady_clock::now() < churn_until) {
      socks.time_wait("127.66.0.1", p);
      ++connections;
    }
  });
  int walks = 0;
  for (; walks < 40 && (walks < 5 || std::chrono::steady_clock::now() < until); ++walks) {
    std::map<std::string, std::set<uint64_t>> on_addr;
    PerNetns got;
    DumpResult r = read_tcp_all_netns(StateMask::all(),
                                      [&](uint64_t ino, const Socket& s) {
                                        for (const auto* a : {&s.local.addr, &s.remote.addr}) {
                                          std::string t = a->to_string();
                                          if (t.starts_with("127.77.")) on_addr[t].insert(ino);
                                          if (t == "127.66.0.1")
                                            return;  // the connections that come and go
                                        }
                                        if (want.count(ino)) ++got[ino][socket_key(s)];
                                      },
                                      {.walkers = 2});
    ASSERT_EQ(r.failure, DumpFailure::kNone) << r.message;
    EXPECT_EQ(got, want) << "walk " << walks;
    std::lock_guard lock(m);
    for (auto& [addr, inos] : on_addr) {
      ASSERT_TRUE(churned.count(addr)) << addr << " reported before its namespace was made";
      EXPECT_EQ(inos, std::set<uint64_t>{churned[addr]}) << addr << ", walk " << walks;
    }
  }
  stop = true;
  ns_churn.join();
  conn_churn.join();
  EXPECT_GE(walks, 5);
  EXPECT_GE(namespaces, 5) << "too few namespaces came and went to test anything";
  EXPECT_GT(connections, 500) << "too few connections came and went to test anything";
}

// A walk that stops part way (here a chain longer than the walk follows, in a one-bucket table of
// its own): interrupted without `restart`; with it, what was handed over is dropped and the
// failure is kUnavailable, which makes the caller read namespace by namespace.
TEST_F(TcpAllNetns, StoppedWalkLeavesTheCallerToReadEachNamespace) {
  ScopedNetns parent;
  parent.set_sysctl("net.ipv4.tcp_child_ehash_entries", "1");
  std::thread t([&] {
    EnterNetns in(parent.name());
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET)";
    ASSERT_EQ(std::system("ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=100000 "
                          "net.ipv4.tcp_tw_reuse=0"),
              0);
    Sockets socks;
    uint16_t p = socks.listen("127.0.0.1");
    for (int i = 0; i < TW_WALK_MAX_CHAIN + 20; ++i) socks.time_wait("127.0.0.1", p);
    int64_t n = 0;
    DumpResult r =
        read_tcp_all_netns(StateMask::all(), [&](uint64_t, const Socket&) { ++n; }, {.walkers = 1});
    EXPECT_EQ(r.failure, DumpFailure::kInterrupted);
    EXPECT_NE(r.message.find("holds more sockets"), std::string::npos) << r.message;
    EXPECT_GT(n, 0);  // the listener, before the chain: the caller must drop it

    int restarts = 0;
    n = 0;
    r = read_tcp_all_netns(StateMask::all(), [&](uint64_t, const Socket&) { ++n; },
                           {.walkers = 1, .restart = [&] {
                              n = 0;
                              ++restarts;
                            }});
    EXPECT_EQ(r.failure, DumpFailure::kUnavailable);
    EXPECT_NE(r.message.find("stopped part way"), std::string::npos) << r.message;
    EXPECT_EQ(restarts, 1);
    EXPECT_EQ(n, 0);
  });
  t.join();
}

}  // namespace
}  // namespace tw
