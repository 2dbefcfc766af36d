// SPDX-License-Identifier: Apache-2.0
// The sampler: one census shared by concurrent callers, reuse within min_interval, bounded
// history, errors counted per target; and against the real kernel, a sample of a namespace counts
// what a direct census of it counts, without moving the caller's thread.
#include "sampler/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>

#include "census/port_pool.h"
#include "sources/host_reader.h"
#include "sources/netns.h"
#include "testing/preset_netns.h"

namespace tw {
namespace {

using namespace std::chrono_literals;

// A fake reader: counts calls, takes `delay`, fails targets named "bad".
struct FakeTake {
  std::atomic<int>* calls;
  std::chrono::milliseconds delay{0};
  std::unique_ptr<Sample> operator()(const SampleTarget& t, const SamplerOptions&,
                                     const Sample*) const {
    ++*calls;
    std::this_thread::sleep_for(delay);
    auto s = std::make_unique<Sample>();
    s->target = t;
    s->taken = std::chrono::steady_clock::now();
    if (t.netns == "bad") s->error = "no such namespace";
    return s;
  }
};

TEST(Sampler, ConcurrentCallersShareOneCensus) {
  std::atomic<int> calls = 0;
  SamplerOptions o;
  o.min_interval = 10s;
  Sampler sampler({SampleTarget{}}, o, FakeTake{&calls, 300ms});
  std::vector<std::thread> scrapers;
  std::vector<uint64_t> seen(8);
  for (int i = 0; i < 8; ++i)
    scrapers.emplace_back([&, i] { seen[i] = sampler.latest()->sequence; });
  for (auto& t : scrapers) t.join();
  EXPECT_EQ(calls, 1);
  for (uint64_t s : seen) EXPECT_EQ(s, 1u);
  // Within min_interval the same set comes back; refresh() takes a new one.
  EXPECT_EQ(sampler.latest()->sequence, 1u);
  EXPECT_EQ(sampler.refresh()->sequence, 2u);
  EXPECT_EQ(calls, 2);
}

TEST(Sampler, ZeroIntervalTakesEveryTime) {
  std::atomic<int> calls = 0;
  SamplerOptions o;
  o.min_interval = 0ms;
  Sampler sampler({SampleTarget{}}, o, FakeTake{&calls});
  sampler.latest();
  sampler.latest();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(sampler.sets_total(), 2);
}

TEST(Sampler, HistoryIsBoundedAndErrorsCountPerTarget) {
  std::atomic<int> calls = 0;
  SamplerOptions o;
  o.history = 3;
  Sampler sampler({SampleTarget{"good"}, SampleTarget{"bad"}}, o, FakeTake{&calls});
  for (int i = 0; i < 5; ++i) sampler.refresh();
  EXPECT_EQ(sampler.history(0).size(), 3u);
  EXPECT_EQ(sampler.history(1).size(), 3u);
  EXPECT_TRUE(sampler.history(0).back().ok);
  EXPECT_FALSE(sampler.history(1).back().ok);
  EXPECT_EQ(sampler.errors_total(), 5);
  auto set = sampler.latest();
  ASSERT_EQ(set->samples.size(), 2u);
  EXPECT_TRUE(set->samples[0]->ok());
  EXPECT_EQ(set->samples[1]->error, "no such namespace");
  // "since start" needs the first good summary: the failing target has none.
  EXPECT_TRUE(sampler.first(0).has_value());
  EXPECT_FALSE(sampler.first(1).has_value());
}

TEST(Sampler, AThrowingReaderIsAnErrorNotAHang) {
  SamplerOptions o;
  Sampler sampler(
      {SampleTarget{"x"}}, o,
      [](const SampleTarget&, const SamplerOptions&, const Sample*) -> std::unique_ptr<Sample> {
        throw std::runtime_error("boom");
      });
  auto set = sampler.latest();
  EXPECT_NE(set->samples[0]->error.find("boom"), std::string::npos);
  EXPECT_EQ(sampler.refresh()->sequence, 2u);
}

TEST(Sampler, SummariesKeepOnlyTheCountersAsked) {
  SamplerOptions o;
  o.min_interval = 0ms;
  o.summary_counters = [](std::string_view n) { return n == "TW"; };
  Sampler sampler({SampleTarget{}}, o,
                  [](const SampleTarget& t, const SamplerOptions&, const Sample*) {
                    auto s = std::make_unique<Sample>();
                    s->target = t;
                    s->facts.counters = {{"TW", 5}, {"TCPTimeWaitOverflow", 1}, {"Tcp.OutRsts", 9}};
                    return s;
                  });
  auto set = sampler.refresh();
  EXPECT_EQ(set->samples[0]->facts.counters.size(), 3u);  // the sample itself keeps them all
  auto h = sampler.history(0);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].counters, (std::map<std::string, int64_t>{{"TW", 5}}));
  EXPECT_EQ(sampler.first(0)->counters.size(), 1u);
}

// options.node: one take_set for every target, each target's previous sample handed back; the
// per-target take is not called.
TEST(Sampler, ANodeIsTakenInOneSetRead) {
  std::atomic<int> calls = 0;
  int sets = 0;
  std::vector<const Sample*> seen_previous;
  SamplerOptions o;
  o.min_interval = 0ms;
  o.node = true;
  Sampler sampler({SampleTarget{"a"}, SampleTarget{"b"}, SampleTarget{"bad"}}, o, FakeTake{&calls},
                  [&](const std::vector<SampleTarget>& targets, const SamplerOptions&,
                      const std::vector<const Sample*>& previous, SampleSet& set) {
                    ++sets;
                    seen_previous = previous;
                    set.node_source = "per-netns";
                    set.node_note = "the test's";
                    std::vector<std::unique_ptr<Sample>> out;
                    for (const auto& t : targets) out.push_back(FakeTake{&calls}(t, o, nullptr));
                    return out;
                  });
  calls = 0;
  auto first = sampler.refresh();
  EXPECT_EQ(sets, 1);
  EXPECT_EQ(calls, 3);  // by the set reader alone
  ASSERT_EQ(first->samples.size(), 3u);
  EXPECT_EQ(first->node_source, "per-netns");
  EXPECT_EQ(first->node_note, "the test's");
  EXPECT_EQ(seen_previous, (std::vector<const Sample*>{nullptr, nullptr, nullptr}));
  EXPECT_FALSE(first->samples[2]->ok());
  EXPECT_EQ(sampler.errors_total(), 1);  // errors per target, as one by one
  auto second = sampler.refresh();
  EXPECT_EQ(sets, 2);
  ASSERT_EQ(seen_previous.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(seen_previous[i], first->samples[i].get());
}

TEST(SampleTarget, Labels) {
  EXPECT_EQ(SampleTarget{}.label(), "host");
  EXPECT_EQ((SampleTarget{"blue"}).label(), "blue");
  EXPECT_EQ((SampleTarget{"", 42}).label(), "pid:42");
}

using LiveSampler = testing::PresetNetns;

TEST_F(LiveSampler, CountsWhatTheNamespaceHolds) {
  auto before = netns_inode_of_self();
  ASSERT_TRUE(before);
  SamplerOptions o;
  o.doctor = true;
  o.min_interval = 0ms;
  Sampler sampler({SampleTarget{ns_->name()}}, o);
  auto set = sampler.latest();
  const Sample& s = *set->samples[0];
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.facts.netns, ns_->name());
  EXPECT_EQ(s.census().count(TcpState::kListen), 2);
  EXPECT_EQ(s.census().count(TcpState::kEstablished), 2 * kEstablished);  // both ends
  EXPECT_EQ(s.census().count(TcpState::kTimeWait), kTimeWait4 + kTimeWait6);
  EXPECT_EQ(s.census().count(TcpState::kCloseWait), kCloseWait);
  // The half-closed client: FIN_WAIT1 until the peer's ACK of its FIN lands (it may be delayed).
  EXPECT_EQ(s.census().count(TcpState::kFinWait1) + s.census().count(TcpState::kFinWait2),
            kCloseWait);
  // By family: the v4 and v6 listeners and TIME_WAITs apart.
  EXPECT_EQ(s.families.v4[state_index(TcpState::kTimeWait)], kTimeWait4);
  EXPECT_EQ(s.families.v6[state_index(TcpState::kTimeWait)], kTimeWait6);
  EXPECT_EQ(s.families.v4[state_index(TcpState::kListen)], 1);
  EXPECT_EQ(s.families.v6[state_index(TcpState::kListen)], 1);
  ASSERT_TRUE(s.facts.sockstat);
  EXPECT_EQ(s.facts.sockstat->tw, kTimeWait4 + kTimeWait6);
  // Every TIME_WAIT was made in the last few seconds: all count in the 60 s rate.
  EXPECT_NEAR(s.time_wait_rate(60) * 60, kTimeWait4 + kTimeWait6, 1e-9);
  // The v4 tuple toward the listener holds the pool's ports.
  ASSERT_FALSE(s.tuples.empty());
  EXPECT_EQ(s.tuples[0].tuple.key.remote.port, port4_);
  EXPECT_FALSE(s.findings.empty());
  // The caller's thread stayed where it was.
  auto after = netns_inode_of_self();
  ASSERT_TRUE(after);
  EXPECT_EQ(*before, *after);

  // The second sample carries the first one's facts for counter deltas.
  auto again = sampler.latest();
  const Sample& s2 = *again->samples[0];
  ASSERT_TRUE(s2.ok()) << s2.error;
  ASSERT_TRUE(s2.input.earlier.has_value());
  EXPECT_GT(s2.input.interval_seconds, 0);
  EXPECT_EQ(sampler.history(0).size(), 2u);
}

TEST_F(LiveSampler, ViewFollowsStatesAndGrouping) {
  SamplerOptions o;
  o.states = StateMask::of(TcpState::kTimeWait);
  o.by = GroupBy::kPeerPort;
  Sampler sampler({SampleTarget{ns_->name()}}, o);
  const Sample& s = *sampler.latest()->samples[0];
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.census().total(), kTimeWait4 + kTimeWait6);
  EXPECT_EQ(s.census().count(TcpState::kEstablished), 0);
  EXPECT_EQ(s.census().group_count(), 2u);  // the v4 and the v6 listener's ports
  // The doctor's census still sees every socket.
  EXPECT_EQ(s.input.sockets->count(TcpState::kEstablished), 2 * kEstablished);
}

// The node read gives each namespace the sample a read of it alone gives (counts by state and
// family, the port pools), and says how it read the node.
TEST_F(LiveSampler, ANodeReadSamplesEachNamespaceAsAloneAndSaysHow) {
  SamplerOptions o;
  o.min_interval = 0ms;
  Sampler alone({SampleTarget{ns_->name()}}, o);
  // Several targets are a node read, asked for (--all-netns) or not (--netns a --netns b).
  Sampler node({SampleTarget{ns_->name()}, SampleTarget{}}, o);
  EXPECT_FALSE(alone.reads_node());
  EXPECT_TRUE(node.reads_node());
  auto a = alone.refresh();
  auto n = node.refresh();
  EXPECT_TRUE(a->node_source.empty());
  EXPECT_TRUE(n->node_source == "bpf:all-netns" || n->node_source == "per-netns") << n->node_source;
  EXPECT_EQ(n->one_walk, n->node_source == "bpf:all-netns");
  if (!n->one_walk) EXPECT_NE(n->node_note, "");
  const Sample& x = *a->samples[0];
  const Sample& y = *n->samples[0];
  ASSERT_TRUE(x.ok()) << x.error;
  ASSERT_TRUE(y.ok()) << y.error;
  EXPECT_EQ(y.facts.netns, ns_->name());
  EXPECT_EQ(y.facts.source == "bpf:all-netns", n->one_walk) << y.facts.source;
  // The preset namespace holds still (TIME_WAITs live 60 s): both reads count the same.
  // (The half-closed client may move from FIN_WAIT1 to FIN_WAIT2 between the reads.)
  auto settled = [](StateCounts c) {
    c[state_index(TcpState::kFinWait2)] += std::exchange(c[state_index(TcpState::kFinWait1)], 0);
    return c;
  };
  EXPECT_EQ(settled(y.families.v4), settled(x.families.v4));
  EXPECT_EQ(settled(y.families.v6), settled(x.families.v6));
  EXPECT_EQ(y.census().count(TcpState::kTimeWait), kTimeWait4 + kTimeWait6);
  ASSERT_EQ(y.tuples.size(), x.tuples.size());
  for (size_t i = 0; i < x.tuples.size(); ++i) {
    EXPECT_EQ(y.tuples[i].tuple.key, x.tuples[i].tuple.key);
    EXPECT_EQ(y.tuples[i].forecast.in_use, x.tuples[i].forecast.in_use);
    EXPECT_EQ(y.tuples[i].forecast.time_wait, x.tuples[i].forecast.time_wait);
  }
  EXPECT_EQ(y.bind_pools.size(), x.bind_pools.size());
  EXPECT_TRUE(n->samples[1]->ok()) << n->samples[1]->error;
}

TEST_F(LiveSampler, AMissingNamespaceFailsOnlyItsTarget) {
  Sampler sampler({SampleTarget{"twtest-no-such-namespace"}, SampleTarget{ns_->name()}}, {});
  auto set = sampler.latest();
  EXPECT_FALSE(set->samples[0]->ok());
  EXPECT_NE(set->samples[0]->error.find("twtest-no-such-namespace"), std::string::npos)
      << set->samples[0]->error;
  EXPECT_TRUE(set->samples[1]->ok()) << set->samples[1]->error;
  EXPECT_EQ(sampler.errors_total(), 1);
}

}  // namespace
}  // namespace tw
