// SPDX-License-Identifier: Apache-2.0
// Frames from a real Sampler over a fake host: changes since the last refresh and since start,
// the counters that moved, the rate history, tuples worst first, sorting and filtering.
#include "watch/frame.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "watch/fake_world_test.h"
#include "watch/frame_json.h"

namespace tw::watch {
namespace {

using testing::Destination;
using testing::FakeWorld;

SamplerOptions live_options() {
  SamplerOptions o;
  o.min_interval = std::chrono::milliseconds(0);
  o.doctor = true;
  return o;
}

Frame refresh(Sampler& s, StateMask states = StateMask::all()) {
  auto set = s.refresh();
  return build_frame(*set, 0, s.history(0), s.first(0), states);
}

const StateLine* state(const Frame& f, TcpState st) {
  for (const StateLine& l : f.states)
    if (l.state == st) return &l;
  return nullptr;
}

TEST(Frame, CountsMoveSinceLastAndSinceStart) {
  FakeWorld w;
  w.destinations = {Destination{.time_wait = 100, .established = 2}};
  w.counters = {{"TCPTimeWaitOverflow", 5}, {"TWRecycled", 0}, {"PAWSEstab", 1}, {"TW", 9}};
  Sampler s({SampleTarget{"web"}}, live_options(), testing::take_from(&w));
  Frame f1 = refresh(s);
  ASSERT_TRUE(f1.error.empty()) << f1.error;
  EXPECT_EQ(f1.target, "web");
  ASSERT_NE(state(f1, TcpState::kTimeWait), nullptr);
  EXPECT_EQ(state(f1, TcpState::kTimeWait)->count.now, 100);
  EXPECT_EQ(state(f1, TcpState::kTimeWait)->count.since_last, 0);
  EXPECT_TRUE(f1.counters.empty());  // nothing moved yet

  w.destinations[0].time_wait = 130;
  w.counters["TCPTimeWaitOverflow"] = 8;
  Frame f2 = refresh(s);
  w.destinations[0].time_wait = 150;
  w.destinations[0].established = 0;
  Frame f3 = refresh(s);
  const StateLine* tw = state(f3, TcpState::kTimeWait);
  ASSERT_NE(tw, nullptr);
  EXPECT_EQ(tw->count.now, 150);
  EXPECT_EQ(tw->count.since_last, 20);
  EXPECT_EQ(tw->count.since_start, 50);
  // ESTAB went to zero but moved since start: still shown, with its change.
  const StateLine* est = state(f3, TcpState::kEstablished);
  ASSERT_NE(est, nullptr);
  EXPECT_EQ(est->count.now, 0);
  EXPECT_EQ(est->count.since_start, -2);
  EXPECT_EQ(f3.total.now, 150);
  EXPECT_EQ(f3.total.since_start, 48);
  // Overflow moved since start (not since last); TW is not one of the watched counters.
  ASSERT_EQ(f3.counters.size(), 1u);
  EXPECT_EQ(f3.counters[0].name, "TCPTimeWaitOverflow");
  EXPECT_EQ(f3.counters[0].value.since_start, 3);
  EXPECT_EQ(f3.counters[0].value.since_last, 0);
  ASSERT_EQ(f2.counters.size(), 1u);
  EXPECT_EQ(f2.counters[0].value.since_last, 3);
  // The 10 s rate of each refresh, oldest first: 100, 130, 150 TIME_WAITs made 5 s ago.
  ASSERT_EQ(f3.rate_history.size(), 3u);
  EXPECT_DOUBLE_EQ(f3.rate_history[0], 10);
  EXPECT_DOUBLE_EQ(f3.rate_history[2], 15);
  EXPECT_DOUBLE_EQ(f3.time_wait_rate_10s, 15);
}

TEST(Frame, StateFilterLimitsCountsNotPressure) {
  FakeWorld w;
  w.destinations = {Destination{.time_wait = 10, .established = 4}};
  SamplerOptions o = live_options();
  o.states = *parse_state_mask({"established"});
  Sampler s({SampleTarget{}}, o, testing::take_from(&w));
  Frame f = refresh(s, o.states);
  EXPECT_EQ(state(f, TcpState::kTimeWait), nullptr);
  ASSERT_NE(state(f, TcpState::kEstablished), nullptr);
  EXPECT_EQ(f.total.now, 4);
  ASSERT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(f.rows[0].sockets, 14);  // port pressure counts every state
}

TEST(Frame, TuplesWorstFirstThenSortedAndFiltered) {
  FakeWorld w;
  // Few TIME_WAITs but many established ports: the most in use. Many fresh TIME_WAITs: the
  // highest rate.
  w.destinations = {
      Destination{.remote = "10.0.0.7", .port = 443, .time_wait = 50},
      Destination{.remote = "10.0.0.9", .port = 8080, .time_wait = 200},
      Destination{.remote = "10.0.0.8", .port = 5432, .time_wait = 0, .established = 300}};
  Sampler s({SampleTarget{}}, live_options(), testing::take_from(&w));
  Frame f = refresh(s);
  ASSERT_EQ(f.rows.size(), 3u);
  EXPECT_EQ(f.by, GroupBy::kTuple);
  // The forecast's order: no ETA is near, so the most ports in use first.
  EXPECT_EQ(f.rows[0].key, "10.0.0.5 -> 10.0.0.8:5432");
  const Row& busy = f.rows[1];
  EXPECT_EQ(busy.key, "10.0.0.5 -> 10.0.0.9:8080");
  EXPECT_DOUBLE_EQ(busy.rate_10s, 20);
  ASSERT_TRUE(busy.forecast);
  EXPECT_EQ(busy.forecast->free_ports, PortPool{}.usable() - 200);

  auto by_tw = visible_rows(f, SortKey::kTimeWait, "");
  EXPECT_EQ(by_tw[0]->key, "10.0.0.5 -> 10.0.0.9:8080");
  EXPECT_EQ(by_tw[2]->key, "10.0.0.5 -> 10.0.0.8:5432");
  auto by_rate = visible_rows(f, SortKey::kRate, "");
  EXPECT_EQ(by_rate[1]->key, "10.0.0.5 -> 10.0.0.7:443");
  auto filtered = visible_rows(f, SortKey::kPressure, ":54");
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0]->key, "10.0.0.5 -> 10.0.0.8:5432");
  EXPECT_TRUE(visible_rows(f, SortKey::kPressure, "nothing").empty());
}

// A pool bind() draws from is a row among the tuples, where its forecast puts it, and the JSON
// lists it apart with the worst pool of both kinds; USABLE is what connect() can use, a listener
// inside the range left out (28,231 of 28,232).
TEST(Frame, BindPoolsAreRowsAndUsableLeavesListenersOut) {
  FakeWorld w;
  w.destinations = {Destination{.remote = "10.0.0.7", .port = 443, .time_wait = 50},
                    Destination{.remote = "10.0.0.9", .port = 8080, .time_wait = 20}};
  w.bound_only = 2;
  w.listener_in_range = true;
  Sampler s({SampleTarget{}}, live_options(), testing::take_from(&w));
  Frame f = refresh(s);
  ASSERT_EQ(f.rows.size(), 3u);
  const Row* bind = nullptr;
  for (const Row& r : f.rows)
    if (r.bind_pool) bind = &r;
  ASSERT_TRUE(bind);
  EXPECT_EQ(bind->key, "10.0.0.5 (bind, 2 dest.)");
  EXPECT_EQ(bind->sockets, 72);  // 70 ports toward the two destinations and 2 bound only
  ASSERT_TRUE(bind->forecast);
  EXPECT_EQ(bind->forecast->available, PortPool{}.usable() - 1);
  for (const Row& r : f.rows) {
    if (!r.bind_pool) {
      EXPECT_EQ(r.forecast->available, PortPool{}.usable() - 1 - 2) << r.key;
    }
  }
  nlohmann::json j = frame_json(f, 10);
  ASSERT_EQ(j["bind_pools"].size(), 1u);
  EXPECT_EQ(j["bind_pools"][0]["pool"], "10.0.0.5 (bind, 2 dest.)");
  EXPECT_EQ(j["total_tuples"], 2);
  EXPECT_EQ(j["tuples"].size(), 2u);
  ASSERT_TRUE(j["worst_pool"].is_object());
  EXPECT_EQ(j["worst_pool"]["level"], "ok");
}

TEST(Frame, ByPeerListsCensusGroups) {
  FakeWorld w;
  w.destinations = {Destination{.remote = "10.0.0.7", .time_wait = 5},
                    Destination{.remote = "10.0.0.9", .time_wait = 20}};
  SamplerOptions o = live_options();
  o.by = GroupBy::kPeer;
  Sampler s({SampleTarget{}}, o, testing::take_from(&w));
  Frame f = refresh(s);
  EXPECT_EQ(f.by, GroupBy::kPeer);
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].key, "10.0.0.9");
  EXPECT_EQ(f.rows[0].time_wait, 20);
  EXPECT_FALSE(f.rows[0].forecast);
  EXPECT_DOUBLE_EQ(f.rows[1].share, 25);  // of the biggest group
}

TEST(Frame, AFailedRefreshIsAnErrorAndTheNextComparesWithTheLastGoodOne) {
  FakeWorld w;
  w.destinations = {Destination{.time_wait = 10}};
  Sampler s({SampleTarget{"web"}}, live_options(), testing::take_from(&w));
  refresh(s);
  w.fail = true;
  Frame bad = refresh(s);
  EXPECT_EQ(bad.error, "cannot enter the namespace");
  w.fail = false;
  w.destinations[0].time_wait = 25;
  Frame f = refresh(s);
  ASSERT_TRUE(f.error.empty());
  EXPECT_EQ(state(f, TcpState::kTimeWait)->count.since_last, 15);
}

TEST(Frame, DoctorFindingsComeWorstFirst) {
  FakeWorld w;
  w.destinations = {Destination{.time_wait = 0, .established = 27000}};
  Sampler s({SampleTarget{}}, live_options(), testing::take_from(&w));
  Frame f = refresh(s);
  ASSERT_FALSE(f.findings.empty());
  EXPECT_EQ(f.findings.front().severity, Severity::kCritical);
  EXPECT_EQ(f.findings.front().id, "port-pressure");
}

TEST(SortKey, NamesCycleAndParse) {
  EXPECT_EQ(next_sort_key(SortKey::kPressure), SortKey::kRate);
  EXPECT_EQ(next_sort_key(SortKey::kTimeWait), SortKey::kPressure);
  EXPECT_EQ(*parse_sort_key("time-wait"), SortKey::kTimeWait);
  EXPECT_FALSE(parse_sort_key("ports"));
}

}  // namespace
}  // namespace tw::watch
