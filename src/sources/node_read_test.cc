// SPDX-License-Identifier: Apache-2.0
// The node read against the real kernel: every namespace's sockets, socket by socket, equal to
// what a read of that namespace alone returns, whichever path the binary took (the one walk
// where it runs, one read per namespace where not, as the report says); a namespace with its own
// table read apart; the walk's dispatch by inode, its restart and its fallback, played by a walk
// that the test writes.
#include "sources/node_read.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "sources/live_input.h"
#include "sources/netns.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

// Sockets as a multiset of "STATE local remote uid inode" (what every reader says alike, as
// tcp_iter_test compares them; timers move between reads), with " mini" on a FIN_WAIT2
// mini-socket: equal sets are equal reads, socket by socket.
using SocketSet = std::map<std::string, int>;

std::string key_of(const Socket& s) {
  return fmt::format("{} {} {} uid {} inode {}{}", netstat_name(s.state), s.local.to_string(),
                     s.remote.to_string(), s.uid, s.inode,
                     s.mini && s.state == TcpState::kFinWait2 ? " mini" : "");
}

class SetReceiver final : public SocketReceiver {
 public:
  void add(const Socket& s) override { ++sockets[key_of(s)]; }
  void restart() override {
    sockets.clear();
    ++restarts;
  }
  SocketSet sockets;
  int restarts = 0;
};

int64_t count(const SocketSet& s, std::string_view state) {
  int64_t n = 0;
  for (const auto& [k, c] : s)
    if (k.starts_with(state)) n += c;
  return n;
}

// The namespace read alone, by the live input in it.
SocketSet read_alone(const InputTarget& t) {
  SetReceiver r;
  std::string error;
  std::thread([&] {
    auto in = open_live_input(t, SourceKind::kNetlink);
    if (!in) {
      error = in.error();
      return;
    }
    auto s = (*in)->stream(StateMask::all(), r);
    if (!s) error = s.error();
  }).join();
  EXPECT_EQ(error, "") << t.label();
  return r.sockets;
}

// Namespaces with sockets in every state a census sees, both families, and one with its own
// established table (made from a namespace whose tcp_child_ehash_entries is set: never the
// host's sysctl).
class NodeRead : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ScopedNetns::remove_stale("twnode");
    hot_ = std::make_unique<testing::ScopedNetns>("twnode");
    quiet_ = std::make_unique<testing::ScopedNetns>("twnode");
    empty_ = std::make_unique<testing::ScopedNetns>("twnode");
    parent_ = std::make_unique<testing::ScopedNetns>("twnode");
    parent_->set_sysctl("net.ipv4.tcp_child_ehash_entries", "256");
    {
      testing::EnterNetns in(parent_->name());
      own_ = std::make_unique<testing::ScopedNetns>("twnode");
    }
    {
      testing::EnterNetns in(hot_->name());
      const uint16_t p4 = hot_socks_.listen("127.0.0.1");
      const uint16_t p6 = hot_socks_.listen("::1");
      // TIME_WAIT churn: connections made and closed one after another.
      for (int i = 0; i < 60; ++i) hot_socks_.time_wait("127.0.0.1", p4);
      for (int i = 0; i < 10; ++i) hot_socks_.time_wait("::1", p6);
      for (int i = 0; i < 12; ++i) hot_socks_.established("127.0.0.1", p4);
      for (int i = 0; i < 4; ++i) hot_socks_.established("::1", p6);
      for (int i = 0; i < 3; ++i) hot_socks_.orphan_fin_wait2("127.0.0.1", p4);
      hot_socks_.close_wait("127.0.0.1", p4);
    }
    // The closing clients hold FIN_WAIT1 until the peer's ACK of their FIN lands (it may be
    // delayed): wait, bounded, so that no read sees a socket move.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count(read_alone(InputTarget{hot_->name()}), "FIN_WAIT1") > 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(count(read_alone(InputTarget{hot_->name()}), "FIN_WAIT1"), 0);
    {
      testing::EnterNetns in(quiet_->name());
      const uint16_t p = quiet_socks_.listen("127.0.0.1");
      for (int i = 0; i < 3; ++i) quiet_socks_.established("127.0.0.1", p);
    }
    {
      testing::EnterNetns in(own_->name());
      const uint16_t p = own_socks_.listen("127.0.0.1");
      for (int i = 0; i < 5; ++i) own_socks_.time_wait("127.0.0.1", p);
    }
  }

  std::vector<InputTarget> targets() const {
    return {InputTarget{hot_->name()}, InputTarget{quiet_->name()}, InputTarget{empty_->name()},
            InputTarget{own_->name()}};
  }

  NodeReport read(std::vector<SetReceiver>& to, SourceKind kind,
                  const NodeWalkFn& walk = read_tcp_all_netns) {
    to.assign(targets().size(), SetReceiver{});
    return read_node(
        targets(), kind, StateMask::all(),
        [&](size_t i, const HostFacts& facts) -> Result<SocketReceiver*> {
          EXPECT_FALSE(facts.sysctls.empty()) << i;  // read inside the namespace, first
          return &to[i];
        },
        walk);
  }

  std::unique_ptr<testing::ScopedNetns> hot_, quiet_, empty_, parent_, own_;
  testing::Sockets hot_socks_, quiet_socks_, own_socks_;
};

TEST_F(NodeRead, EveryNamespaceEqualsItsOwnReadSocketBySocket) {
  std::vector<SetReceiver> got;
  const NodeReport node = read(got, SourceKind::kAuto);
  ASSERT_EQ(node.members.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const InputTarget t = targets()[i];
    const NodeMemberReport& m = node.members[i];
    EXPECT_EQ(m.error, "") << t.label();
    EXPECT_EQ(got[i].sockets, read_alone(t)) << t.label();
    EXPECT_EQ(m.read.sockets, [&] {
      int64_t n = 0;
      for (auto& [k, c] : got[i].sockets) n += c;
      return n;
    }()) << t.label();
    EXPECT_EQ(m.facts.netns, t.label());
    EXPECT_GT(m.seconds, 0) << t.label();
    EXPECT_EQ(m.inode, *netns_inode_by_name(t.netns)) << t.label();
  }
  EXPECT_EQ(count(got[0].sockets, "TIME_WAIT"), 70);
  // Three orphaned mini-sockets and close_wait()'s client, a full socket.
  EXPECT_EQ(count(got[0].sockets, "FIN_WAIT2"), 4);
  EXPECT_EQ(std::count_if(got[0].sockets.begin(), got[0].sockets.end(),
                          [](const auto& kv) { return kv.first.ends_with(" mini"); }),
            3);
  EXPECT_EQ(count(got[1].sockets, "ESTABLISHED"), 6);
  EXPECT_TRUE(got[2].sockets.empty());
  EXPECT_EQ(count(got[3].sockets, "TIME_WAIT"), 5);
  // The namespace made with tcp_child_ehash_entries has a table of its own: read apart.
  EXPECT_FALSE(node.members[0].own_table);
  EXPECT_FALSE(node.members[2].own_table);
  EXPECT_TRUE(node.members[3].own_table);
  EXPECT_NE(node.members[3].read.source, kNodeSourceWalk);
  // What the node says is what it did.
  if (node.one_walk) {
    EXPECT_EQ(node.source, kNodeSourceWalk);
    EXPECT_EQ(node.note, "");
    for (size_t i : {0, 1, 2}) {
      EXPECT_EQ(node.members[i].read.source, kNodeSourceWalk) << i;
      EXPECT_EQ(node.members[i].facts.source, kNodeSourceWalk) << i;
    }
  } else {
    EXPECT_EQ(node.source, kNodeSourcePerNetns);
    EXPECT_NE(node.note, "");
    for (const auto& m : node.members) EXPECT_EQ(m.read.source, m.facts.source);
    for (const auto& m : node.members) EXPECT_NE(m.read.source, kNodeSourceWalk);
  }
}

TEST_F(NodeRead, SourceNetlinkReadsEachNamespaceApartAndSaysSo) {
  std::vector<SetReceiver> got;
  bool walked = false;
  const NodeReport node = read(got, SourceKind::kNetlink,
                               [&](StateMask, const NetnsSocketSink&, const AllNetnsOptions&) {
                                 walked = true;
                                 return DumpResult{};
                               });
  EXPECT_FALSE(walked);
  EXPECT_FALSE(node.one_walk);
  EXPECT_EQ(node.source, kNodeSourcePerNetns);
  EXPECT_NE(node.note.find("--source netlink"), std::string::npos) << node.note;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(node.members[i].read.source, "netlink");
    EXPECT_EQ(got[i].sockets, read_alone(targets()[i])) << targets()[i].label();
  }
}

// The walk as the kernel's would be: sockets tagged by inode, one restart part way. Each socket
// reaches its namespace's receiver alone; one of a namespace not asked for, or of the namespace
// read apart, reaches none; what came before the restart is dropped.
TEST_F(NodeRead, TheWalkFeedsEachNamespaceByInodeAndRestartsEveryone) {
  const uint64_t hot = *netns_inode_by_name(hot_->name());
  const uint64_t quiet = *netns_inode_by_name(quiet_->name());
  const uint64_t own = *netns_inode_by_name(own_->name());
  auto sock = [](int port) {
    Socket s;
    s.state = TcpState::kTimeWait;
    s.local = *Endpoint::parse(fmt::format("10.0.0.1:{}", port));
    s.remote = *Endpoint::parse("10.0.0.2:80");
    return s;
  };
  std::map<uint64_t, uint32_t> delays;
  std::vector<SetReceiver> got;
  const NodeReport node =
      read(got, SourceKind::kAuto,
           [&](StateMask, const NetnsSocketSink& sink, const AllNetnsOptions& o) {
             sink(hot, sock(1));
             sink(quiet, sock(2));
             o.restart();
             for (int p = 10; p < 13; ++p) sink(hot, sock(p));
             sink(quiet, sock(20));
             sink(own, sock(30));    // read apart: not the walk's
             sink(12345, sock(40));  // a namespace nobody asked for
             delays[hot] = o.reuse_delay_ms(hot);
             delays[1] = o.reuse_delay_ms(1);
             DumpResult r;
             r.sockets = 6;
             return r;
           });
  ASSERT_TRUE(node.one_walk) << node.note;
  EXPECT_EQ(node.source, kNodeSourceWalk);
  EXPECT_EQ(got[0].sockets, (SocketSet{{"TIME_WAIT 10.0.0.1:10 10.0.0.2:80 uid 0 inode 0", 1},
                                       {"TIME_WAIT 10.0.0.1:11 10.0.0.2:80 uid 0 inode 0", 1},
                                       {"TIME_WAIT 10.0.0.1:12 10.0.0.2:80 uid 0 inode 0", 1}}));
  EXPECT_EQ(got[1].sockets, (SocketSet{{"TIME_WAIT 10.0.0.1:20 10.0.0.2:80 uid 0 inode 0", 1}}));
  EXPECT_TRUE(got[2].sockets.empty());
  EXPECT_GE(got[0].restarts, 1);
  EXPECT_GE(got[2].restarts, 1);  // every receiver the walk feeds, empty or not
  EXPECT_EQ(node.members[0].read.sockets, 3);
  EXPECT_EQ(node.members[1].read.sockets, 1);
  EXPECT_EQ(node.members[0].read.source, kNodeSourceWalk);
  // The namespace with its own table got its own read, not the walk's socket.
  EXPECT_EQ(got[3].sockets, read_alone(targets()[3]));
  EXPECT_EQ(count(got[3].sockets, "TIME_WAIT"), 5);
  // Each namespace's own tcp_tw_reuse_delay (1000 where the kernel has none); unknown: 1000.
  EXPECT_GT(delays[hot], 0u);
  EXPECT_EQ(delays[1], 1000u);
}

// A walk that fails part way (the kernel refused, no BTF, an old kernel): what it handed out is
// dropped, each namespace is read apart, and the note says why.
TEST_F(NodeRead, AWalkThatFailsFallsBackToOneReadPerNamespace) {
  const uint64_t hot = *netns_inode_by_name(hot_->name());
  std::vector<SetReceiver> got;
  const NodeReport node = read(got, SourceKind::kAuto,
                               [&](StateMask, const NetnsSocketSink& sink, const AllNetnsOptions&) {
                                 Socket s;
                                 s.state = TcpState::kEstablished;
                                 sink(hot, s);
                                 DumpResult r;
                                 r.failure = DumpFailure::kUnavailable;
                                 r.message = "bpf: the test's walk refused";
                                 return r;
                               });
  EXPECT_FALSE(node.one_walk);
  EXPECT_EQ(node.source, kNodeSourcePerNetns);
  EXPECT_NE(node.note.find("the test's walk refused"), std::string::npos) << node.note;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(node.members[i].error, "");
    EXPECT_NE(node.members[i].read.source, kNodeSourceWalk);
    EXPECT_EQ(got[i].sockets, read_alone(targets()[i])) << targets()[i].label();
  }
}

// A namespace that cannot be entered fails alone.
TEST_F(NodeRead, ANamespaceThatIsGoneFailsAlone) {
  std::vector<InputTarget> t{InputTarget{quiet_->name()}, InputTarget{"twnode-no-such"}};
  std::vector<SetReceiver> got(2);
  const NodeReport node =
      read_node(t, SourceKind::kAuto, StateMask::all(),
                [&](size_t i, const HostFacts&) -> Result<SocketReceiver*> { return &got[i]; });
  EXPECT_EQ(node.members[0].error, "");
  EXPECT_EQ(got[0].sockets, read_alone(t[0]));
  EXPECT_NE(node.members[1].error, "");
}

}  // namespace
}  // namespace tw
