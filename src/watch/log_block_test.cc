// SPDX-License-Identifier: Apache-2.0
// The log block and the JSON line of a refresh carry the same numbers as the screen.
#include "watch/log_block.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "watch/fake_world_test.h"
#include "watch/frame_json.h"

namespace tw::watch {
namespace {

using testing::Destination;
using testing::FakeWorld;

Frame two_refreshes(FakeWorld& w, Sampler& s) {
  s.refresh();
  w.destinations[0].time_wait += 40;
  w.counters["TWRecycled"] += 2;
  auto set = s.refresh();
  return build_frame(*set, 0, s.history(0), s.first(0), StateMask::all());
}

struct World {
  FakeWorld w;
  Sampler s;
  World()
      : s(
            {SampleTarget{"web"}},
            [] {
              SamplerOptions o;
              o.min_interval = std::chrono::milliseconds(0);
              o.doctor = true;
              return o;
            }(),
            testing::take_from(&w)) {
    w.destinations = {Destination{.remote = "10.0.0.9", .time_wait = 60},
                      Destination{.remote = "10.0.0.7", .time_wait = 10}};
    w.counters = {{"TWRecycled", 1}};
    w.sockstat_tw = 100;
  }
};

TEST(LogBlock, OneStampedBlockWithTheTopDestinations) {
  World x;
  Frame f = two_refreshes(x.w, x.s);
  const std::string b = render_log_block(f, 1);
  EXPECT_TRUE(b.starts_with(utc_timestamp(f.wall) + " web #2")) << b;
  EXPECT_NE(b.find("TIME-WAIT 110 (+40)"), std::string::npos) << b;
  EXPECT_NE(b.find("sockstat-tw 100"), std::string::npos) << b;
  EXPECT_NE(b.find("TW/s ~11/s 10s"), std::string::npos) << b;
  EXPECT_NE(b.find("TcpExt TWRecycled +2 (+2 since start)"), std::string::npos) << b;
  EXPECT_NE(b.find("10.0.0.5 -> 10.0.0.9:8080  in-use 100  time-wait 100"), std::string::npos) << b;
  EXPECT_NE(b.find("... 1 more"), std::string::npos) << b;
  EXPECT_EQ(b.find("10.0.0.7"), std::string::npos) << b;
  EXPECT_EQ(b.back(), '\n');
}

TEST(FrameJson, OneObjectWithStatesTuplesAndFindings) {
  World x;
  Frame f = two_refreshes(x.w, x.s);
  nlohmann::json j = frame_json(f, 10);
  EXPECT_EQ(j["schema"], "timewait-watch/1");
  EXPECT_EQ(j["sequence"], 2);
  EXPECT_EQ(j["netns"], "web");
  EXPECT_EQ(j["states"]["TIME-WAIT"]["count"], 110);
  EXPECT_EQ(j["states"]["TIME-WAIT"]["since_last"], 40);
  EXPECT_EQ(j["total"]["since_start"], 40);
  EXPECT_EQ(j["sockstat_tw"], 100);
  EXPECT_DOUBLE_EQ(j["time_wait_rate"]["10s"].get<double>(), 11);
  EXPECT_EQ(j["counters_moved"]["TWRecycled"]["since_last"], 2);
  ASSERT_EQ(j["tuples"].size(), 2u);
  EXPECT_EQ(j["total_tuples"], 2);
  EXPECT_EQ(j["tuples"][0]["tuple"], "10.0.0.5 -> 10.0.0.9:8080");
  EXPECT_EQ(j["tuples"][0]["in_use"], 100);
  EXPECT_DOUBLE_EQ(j["tuples"][0]["rate_10s"].get<double>(), 10);
  EXPECT_TRUE(j["findings"].is_array());
  // One line: JSON lines hold no newline inside an object.
  EXPECT_EQ(j.dump().find('\n'), std::string::npos);
  EXPECT_EQ(frame_json(f, 1)["tuples"].size(), 1u);
}

TEST(FrameJson, AnErrorIsReported) {
  World x;
  x.w.fail = true;
  auto set = x.s.refresh();
  Frame f = build_frame(*set, 0, x.s.history(0), x.s.first(0), StateMask::all());
  nlohmann::json j = frame_json(f, 10);
  EXPECT_EQ(j["error"], "cannot enter the namespace");
  EXPECT_FALSE(j.contains("states"));
  EXPECT_NE(render_log_block(f, 5).find("error: cannot enter the namespace"), std::string::npos);
}

}  // namespace
}  // namespace tw::watch
