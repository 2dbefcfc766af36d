// SPDX-License-Identifier: Apache-2.0
// The round trip of issue 3: sockets made in a fresh namespace, counted live (inet_diag), from
// `ss -tan` / `ss -tano` text captured there, from its /proc/net/tcp{,6} text, from
// `netstat -antW` and from the raw inet_diag dump of `ss -D`, give the same census, group for
// group; `netstat -ta` (names, no -n) gives the same states.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "census/census.h"
#include "import/import.h"
#include "sources/live_input.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using testing::EnterNetns;
using testing::ScopedNetns;
using testing::Sockets;

CensusOptions by_tuple() {
  CensusOptions o;
  o.by = GroupBy::kTuple;
  o.pool = PortPool{};
  return o;
}

Census import_path(const std::string& path, const std::string& want_format) {
  Census c(by_tuple());
  ImportOptions o;
  o.path = path;
  HostFacts facts;
  auto r = import_file(o, &facts, [&](const Socket& s) { c.add(s); });
  EXPECT_TRUE(r) << r.error();
  if (r) {
    EXPECT_EQ(r->format, want_format);
    EXPECT_EQ(r->skipped, 0) << describe_import(*r);
  }
  return c;
}

Census import_text(const std::string& text, const std::string& want_format) {
  testing::TempDir dir("twimp-roundtrip");
  return import_path(dir.write(want_format + ".txt", text), want_format);
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
  }
}

TEST(ImportRoundTrip, LiveEqualsSsTextEqualsProcText) {
  ScopedNetns ns("twimp");
  EnterNetns in(ns.name());
  Sockets socks;
  uint16_t p4 = socks.listen("127.0.0.1");
  uint16_t p6 = socks.listen("::1");
  for (int i = 0; i < 3; ++i) socks.established("127.0.0.1", p4);
  socks.established("::1", p6);
  for (int i = 0; i < 5; ++i) socks.time_wait("127.0.0.1", p4);
  for (int i = 0; i < 2; ++i) socks.time_wait("::1", p6);
  socks.server_time_wait("127.0.0.1", p4);
  socks.close_wait("127.0.0.1", p4);
  socks.orphan_fin_wait2("::1", p6);

  // The closes above finish in softirq: wait (at most 3 s) until no socket is still in
  // FIN-WAIT-1, so that the three reads below see the same, settled states.
  auto read_live = [] {
    Census c(by_tuple());
    FunctionReceiver counted([&](const Socket& s) { c.add(s); }, {});
    auto r =
        (*open_live_input(InputTarget{}, SourceKind::kNetlink))->stream(StateMask::all(), counted);
    EXPECT_TRUE(r) << r.error();
    return c;
  };
  Census live = read_live();
  for (int i = 0;
       i < 300 && (live.count(TcpState::kFinWait1) > 0 || live.count(TcpState::kFinWait2) < 2);
       ++i) {
    usleep(10'000);
    live = read_live();
  }
  std::string exec = "ip netns exec " + ns.name() + " ";
  std::string ss = testing::run_output(exec + "ss -tan");
  std::string sso = testing::run_output(exec + "ss -tano");
  std::string proc = testing::run_output(exec + "cat /proc/net/tcp /proc/net/tcp6");
  std::string netstat = testing::run_output(exec + "netstat -antW");
  std::string named = testing::run_output(exec + "netstat -taW");
  testing::TempDir dir("twimp-roundtrip");
  const std::string diag_path = dir / "ss-D.bin";
  testing::run_output(exec + "ss -D " + diag_path + " -ta");

  // What was made: 2 LISTEN, 8 ESTAB, 8 TIME-WAIT, CLOSE-WAIT 2, FIN-WAIT-2 2 (one orphan).
  EXPECT_EQ(live.count(TcpState::kListen), 2);
  EXPECT_EQ(live.count(TcpState::kEstablished), 8);
  EXPECT_EQ(live.count(TcpState::kTimeWait), 8);
  EXPECT_EQ(live.count(TcpState::kCloseWait), 2);
  EXPECT_EQ(live.count(TcpState::kFinWait2), 2);
  EXPECT_EQ(live.fin_wait2_mini(), 1);

  Census from_ss = import_text(ss, "ss");
  expect_same(live, from_ss, "ss -tan");
  Census from_sso = import_text(sso, "ss");
  expect_same(live, from_sso, "ss -tano");
  EXPECT_EQ(from_sso.fin_wait2_mini(), live.fin_wait2_mini());
  EXPECT_EQ(from_sso.time_wait_ages().with_timer, 8);
  Census from_proc = import_text(proc, "proc");
  expect_same(live, from_proc, "/proc/net/tcp");
  EXPECT_EQ(from_proc.fin_wait2_mini(), live.fin_wait2_mini());
  Census from_netstat = import_text(netstat, "netstat-linux");
  expect_same(live, from_netstat, "netstat -antW");
  // The rate estimate works on /proc text: all 8 TIME_WAITs carry a timer, made seconds ago.
  EXPECT_EQ(from_proc.time_wait_ages().with_timer, 8);
  EXPECT_GT(from_proc.time_wait_ages().rate(60), 0);
  // ss -D: the kernel's own messages, read by the live parser; timers and minis come along.
  Census from_diag = import_path(diag_path, "ss-diag");
  expect_same(live, from_diag, "ss -D");
  EXPECT_EQ(from_diag.fin_wait2_mini(), live.fin_wait2_mini());
  EXPECT_EQ(from_diag.time_wait_ages().with_timer, 8);
  EXPECT_GT(from_diag.time_wait_ages().rate(60), 0);
  // Without -n netstat prints 127.0.0.1 as "localhost": every socket is still counted, by state.
  Census from_named = import_text(named, "netstat-linux");
  EXPECT_EQ(from_named.total(), live.total());
  for (int i = 0; i < kStateCount; ++i)
    EXPECT_EQ(from_named.count(state_at(i)), live.count(state_at(i))) << ss_name(state_at(i));
}

}  // namespace
}  // namespace tw
