// SPDX-License-Identifier: Apache-2.0
#include "sources/live_sockets.h"

#include <gtest/gtest.h>

#include "sources/netlink_diag.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

struct Counter {
  int64_t sockets = 0;
  int restarts = 0;
};

Result<LiveReport> run(const DumpFn& dump, SourceKind kind, Counter* c) {
  return read_live_sockets_with(
      dump, kind, StateMask::all(), [&](const Socket&) { c->sockets++; },
      [&] {
        c->restarts++;
        c->sockets = 0;
      });
}

// A kernel without tcp_diag answers the dump with ENOENT: the census reads /proc instead, says
// so, and counts what /proc shows (here: one listener in a fresh namespace).
TEST(LiveSockets, FallsBackToProcWhenInetDiagIsMissing) {
  testing::ScopedNetns ns;
  testing::Sockets socks;
  testing::EnterNetns in(ns.name());
  socks.listen("127.0.0.1");
  auto missing = [](StateMask, const SocketSink& sink) {
    sink(Socket{});  // a partial dump before the failure must not be counted
    return DumpResult{DumpFailure::kUnavailable,
                      "the kernel refused the inet_diag dump: No such file or directory", 1};
  };
  Counter c;
  auto r = run(missing, SourceKind::kAuto, &c);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "proc");
  EXPECT_NE(r->note.find("read /proc/net/tcp"), std::string::npos);
  EXPECT_EQ(c.sockets, 1);
  EXPECT_EQ(c.restarts, 1);
  // Asked for netlink explicitly, it does not fall back silently.
  Counter c2;
  auto forced = run(missing, SourceKind::kNetlink, &c2);
  ASSERT_FALSE(forced);
  EXPECT_NE(forced.error().find("No such file"), std::string::npos);
}

TEST(LiveSockets, RetriesAnInterruptedDump) {
  int calls = 0;
  auto flaky = [&](StateMask, const SocketSink& sink) {
    sink(Socket{});
    if (++calls < 3) return DumpResult{DumpFailure::kInterrupted, "NLM_F_DUMP_INTR", 1};
    return DumpResult{DumpFailure::kNone, "", 1};
  };
  Counter c;
  auto r = run(flaky, SourceKind::kAuto, &c);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(c.sockets, 1);  // counts of the interrupted tries were dropped
  EXPECT_EQ(c.restarts, 2);
  EXPECT_NE(r->note.find("3 tries"), std::string::npos);
}

TEST(LiveSockets, GivesUpOnADumpThatIsAlwaysInterrupted) {
  auto broken = [](StateMask, const SocketSink&) {
    return DumpResult{DumpFailure::kInterrupted, "the socket table changed during the dump", 0};
  };
  Counter c;
  auto r = run(broken, SourceKind::kAuto, &c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("none are shown"), std::string::npos);
}

// Auto reads the iterator only for a large table; any failure of the iterator drops what it
// counted and reads the dump, saying why; asked for bpf, it fails instead.
TEST(LiveSockets, AutoPicksTheIteratorForALargeTableAndFallsBackOnDoubt) {
  int dumps = 0, iters = 0;
  DumpResult iter_result{DumpFailure::kNone, "", 2};
  int64_t table = kBpfAutoMinSockets;
  int walkers = 2;
  LiveReaders readers{
      .dump =
          [&](StateMask, const SocketSink& sink) {
            ++dumps;
            sink(Socket{});
            return DumpResult{DumpFailure::kNone, "", 1};
          },
      .iter =
          [&](StateMask, const SocketSink& sink) {
            ++iters;
            sink(Socket{});
            sink(Socket{});
            return iter_result;
          },
      .table_size = [&] { return table; },
      .walkers = [&] { return walkers; },
  };
  auto run_from = [&](SourceKind kind, Counter* c) {
    return read_live_sockets_from(
        readers, kind, StateMask::all(), [&](const Socket&) { c->sockets++; },
        [&] {
          c->restarts++;
          c->sockets = 0;
        });
  };
  Counter big;
  auto r = run_from(SourceKind::kAuto, &big);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "bpf");
  EXPECT_EQ(big.sockets, 2);
  EXPECT_EQ(dumps, 0);

  table = kBpfAutoMinSockets - 1;
  Counter small;
  r = run_from(SourceKind::kAuto, &small);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "netlink");
  EXPECT_EQ(iters, 1);
  EXPECT_TRUE(r->note.empty());

  // One CPU: the walk cannot be split, and alone it is no faster than the dump.
  table = kBpfAutoMinSockets;
  walkers = 1;
  Counter one_cpu;
  r = run_from(SourceKind::kAuto, &one_cpu);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "netlink");
  EXPECT_EQ(iters, 1);
  walkers = 2;

  table = kBpfAutoMinSockets;
  iter_result = {DumpFailure::kError, "bpf: the iterator wrote 3 sockets but 2 arrived", 2};
  Counter doubt;
  r = run_from(SourceKind::kAuto, &doubt);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "netlink");
  EXPECT_EQ(doubt.sockets, 1);  // the iterator's 2 were dropped
  EXPECT_EQ(doubt.restarts, 1);
  EXPECT_NE(r->note.find("3 sockets but 2 arrived; read the inet_diag dump instead"),
            std::string::npos)
      << r->note;

  Counter forced;
  r = run_from(SourceKind::kBpf, &forced);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("but 2 arrived"), std::string::npos);
  // Asked for the dump, the table's size does not matter.
  Counter netlink;
  iters = 0;
  r = run_from(SourceKind::kNetlink, &netlink);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->source, "netlink");
  EXPECT_EQ(iters, 0);
}

}  // namespace
}  // namespace tw
