// SPDX-License-Identifier: Apache-2.0
// The one input path: the live kernel of a namespace, a snapshot written from that same read and
// an `ss -tan` dump taken there give the same facts where they can and the same census, through
// open_input() -> facts() -> stream(); and a saved input hands its sockets over from the
// importer's thread whole (their text too), in order, once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <thread>

#include "census/census.h"
#include "census/port_pool.h"
#include "census/report.h"
#include "import/input_file.h"
#include "sources/snapshot_file.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using testing::EnterNetns;
using testing::ScopedNetns;
using testing::Sockets;

// A census by tuple, with the pool chosen from the input's facts as every front end does.
struct Counted final : SocketReceiver {
  explicit Counted(std::optional<PortPool> pool)
      : options{StateMask::all(), GroupBy::kTuple, pool}, census(options) {}
  void add(const Socket& s) override {
    census.add(s);
    if (!writer) return;
    // As `census --save`: the header names the source the read began with.
    if (!header) writer->facts().source = facts->source;
    header = true;
    writer->add(s);
  }
  void restart() override { census = Census(options); }
  CensusOptions options;
  Census census;
  SnapshotWriter* writer = nullptr;
  const HostFacts* facts = nullptr;
  bool header = false;
};

struct Read {
  HostFacts facts;
  InputKind kind = InputKind::kLive;
  std::unique_ptr<Counted> counted;
  StreamReport report;
};

Read read_input(const InputSpec& spec, const std::string& save = "") {
  Read out;
  auto in = open_input(spec);
  EXPECT_TRUE(in) << in.error();
  if (!in) return out;
  auto facts = (*in)->facts();
  EXPECT_TRUE(facts) << facts.error();
  if (!facts) return out;
  PoolChoice pool = choose_pool(**facts, std::nullopt);
  EXPECT_EQ(pool.error, "");
  out.counted = std::make_unique<Counted>(pool.pool);
  std::unique_ptr<SnapshotWriter> writer;
  if (!save.empty()) {
    auto w = SnapshotWriter::open(save, **facts);
    EXPECT_TRUE(w) << w.error();
    if (w) writer = std::move(*w);
    out.counted->writer = writer.get();
    out.counted->facts = *facts;
  }
  auto r = (*in)->stream(StateMask::all(), *out.counted);
  EXPECT_TRUE(r) << r.error();
  if (r) out.report = *r;
  if (writer) EXPECT_TRUE(writer->finish());
  out.facts = **facts;
  out.kind = (*in)->kind();
  return out;
}

void expect_same(const Census& live, const Census& other, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(other.total(), live.total());
  for (int i = 0; i < kStateCount; ++i)
    EXPECT_EQ(other.count(state_at(i)), live.count(state_at(i))) << ss_name(state_at(i));
  auto a = live.groups(), b = other.groups();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(describe_key(b[i].key, GroupBy::kTuple), describe_key(a[i].key, GroupBy::kTuple));
    EXPECT_EQ(b[i].counts, a[i].counts) << describe_key(a[i].key, GroupBy::kTuple);
  }
  auto pa = live.pressure(), pb = other.pressure();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pb[i].in_use, pa[i].in_use);
    EXPECT_EQ(pb[i].time_wait, pa[i].time_wait);
    EXPECT_EQ(pb[i].available, pa[i].available);
  }
}

TEST(Input, LiveSnapshotAndDumpGiveTheSameCensus) {
  ScopedNetns ns("twinput");
  Sockets socks;
  {
    EnterNetns in(ns.name());
    uint16_t p4 = socks.listen("127.0.0.1");
    uint16_t p6 = socks.listen("::1");
    for (int i = 0; i < 3; ++i) socks.established("127.0.0.1", p4);
    for (int i = 0; i < 6; ++i) socks.time_wait("127.0.0.1", p4);
    for (int i = 0; i < 2; ++i) socks.time_wait("::1", p6);
    socks.close_wait("127.0.0.1", p4);
  }
  const std::string snapshot = fmt::format("/tmp/twinput-{}.json", getpid());
  const std::string dump = fmt::format("/tmp/twinput-{}.ss", getpid());
  // The live input enters the namespace on the calling thread for good: a thread of its own.
  // Closes finish in softirq: read until no socket is in FIN-WAIT-1 (at most 3 s).
  Read live;
  for (int i = 0; i < 300; ++i) {
    std::thread([&] {
      live =
          read_input(InputSpec{.target = {ns.name(), 0}, .source = SourceKind::kNetlink}, snapshot);
    }).join();
    ASSERT_TRUE(live.counted);
    if (live.counted->census.count(TcpState::kFinWait1) == 0 &&
        live.counted->census.count(TcpState::kFinWait2) >= 1)
      break;
    usleep(10'000);
  }
  { std::ofstream(dump) << testing::run_output("ip netns exec " + ns.name() + " ss -tan"); }
  const Census& c = live.counted->census;
  EXPECT_EQ(live.kind, InputKind::kLive);
  EXPECT_EQ(live.facts.netns, ns.name());
  EXPECT_EQ(live.facts.source, "netlink");
  EXPECT_EQ(live.report.source, "netlink");
  EXPECT_TRUE(live.facts.sysctl("net.ipv4.ip_local_port_range"));
  EXPECT_EQ(c.count(TcpState::kListen), 2);
  EXPECT_EQ(c.count(TcpState::kTimeWait), 8);
  EXPECT_EQ(c.count(TcpState::kCloseWait), 1);

  Read saved = read_input(InputSpec{.from = snapshot});
  EXPECT_EQ(saved.kind, InputKind::kSnapshot);
  // The snapshot carries the live read's facts: the same namespace, source and settings.
  EXPECT_EQ(saved.facts.netns, ns.name());
  EXPECT_EQ(saved.facts.source, "netlink");
  EXPECT_EQ(saved.facts.sysctls, live.facts.sysctls);
  ASSERT_TRUE(saved.counted);
  expect_same(c, saved.counted->census, "snapshot");
  EXPECT_EQ(saved.counted->census.time_wait_ages().with_timer, 8);
  EXPECT_EQ(saved.report.sockets, c.total());
  ASSERT_TRUE(saved.report.import);
  EXPECT_EQ(saved.report.import->format, "snapshot");

  Read text = read_input(InputSpec{.from = dump});
  EXPECT_EQ(text.kind, InputKind::kDump);
  EXPECT_EQ(text.facts.os, "linux");
  EXPECT_EQ(text.facts.source, "import:ss");
  EXPECT_EQ(text.report.source, "import:ss");
  // ss text has no settings: the pool is Linux's default, which a new namespace has too.
  EXPECT_TRUE(choose_pool(text.facts, std::nullopt).assumed);
  EXPECT_EQ(live.facts.sysctl("net.ipv4.ip_local_port_range"), "32768 60999");
  ASSERT_TRUE(text.counted);
  expect_same(c, text.counted->census, "ss -tan");
  unlink(snapshot.c_str());
  unlink(dump.c_str());
}

// More sockets than one hand-over batch, each with the state spelled as the dump spells it: every
// one arrives, in order, with its text intact after the importer's line buffer moved on.
TEST(Input, SavedInputHandsOverEverySocketWithItsText) {
  const std::string path = fmt::format("/tmp/twinput-many-{}.ss", getpid());
  constexpr int kSockets = 10'000;
  {
    std::ofstream f(path);
    f << "State      Recv-Q Send-Q Local Address:Port  Peer Address:Port\n";
    for (int i = 0; i < kSockets; ++i)
      f << fmt::format("{} 0 0 10.0.{}.{}:{} 10.1.0.1:443\n", i % 3 ? "TIME-WAIT" : "ESTAB",
                       i / 250, i % 250 + 1, 20000 + i % 30000);
  }
  auto in = open_input(InputSpec{.from = path});
  ASSERT_TRUE(in) << in.error();
  auto facts = (*in)->facts();
  ASSERT_TRUE(facts) << facts.error();
  EXPECT_EQ((*facts)->source, "import:ss");
  struct Checked final : SocketReceiver {
    void add(const Socket& s) override {
      const bool tw = n % 3 != 0;
      if (s.state != (tw ? TcpState::kTimeWait : TcpState::kEstablished) ||
          s.original_state != (tw ? "TIME-WAIT" : "ESTAB") || s.local.port != 20000 + n % 30000)
        ++wrong;
      ++n;
    }
    void restart() override { ++restarts; }
    int n = 0, wrong = 0, restarts = 0;
  } checked;
  auto r = (*in)->stream(StateMask::all(), checked);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(checked.n, kSockets);
  EXPECT_EQ(checked.wrong, 0);
  EXPECT_EQ(checked.restarts, 0);
  EXPECT_EQ(r->sockets, kSockets);
  unlink(path.c_str());
}

// A saved input that cannot be read fails at facts(), before anything is counted; one closed
// after facts() without stream() ends (the importer is not left waiting).
TEST(Input, SavedInputErrorsComeWithTheFactsAndAnUnreadInputCloses) {
  auto missing = open_input(InputSpec{.from = "/nonexistent/twinput.ss"});
  ASSERT_TRUE(missing);
  auto f = (*missing)->facts();
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("/nonexistent/twinput.ss"), std::string::npos) << f.error();

  const std::string path = fmt::format("/tmp/twinput-unread-{}.ss", getpid());
  {
    std::ofstream out(path);
    out << "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n";
    for (int i = 0; i < 20'000; ++i)
      out << fmt::format("ESTAB 0 0 10.0.0.1:{} 10.1.0.1:80\n", i + 1);
  }
  {
    auto in = open_input(InputSpec{.from = path});
    ASSERT_TRUE(in);
    ASSERT_TRUE((*in)->facts());
  }  // closed unread: the destructor returns once the importer has drained the file
  unlink(path.c_str());
}

TEST(Input, TargetLabels) {
  EXPECT_EQ(InputTarget{}.label(), "host");
  EXPECT_EQ((InputTarget{"blue", 0}).label(), "blue");
  EXPECT_EQ((InputTarget{"", 42}).label(), "pid:42");
  // A namespace that does not exist is refused when the input is opened, naming it.
  std::string error;
  std::thread([&] {
    auto in = open_input(InputSpec{.target = {"twinput-none-" + std::to_string(getpid()), 0}});
    if (!in) error = in.error();
  }).join();
  EXPECT_NE(error.find("twinput-none-"), std::string::npos) << error;
}

}  // namespace
}  // namespace tw
