// SPDX-License-Identifier: Apache-2.0
// watch --all-netns: the node's frame from a real Sampler over made-up namespaces (a fake node
// read): counts summed over the namespaces read, rows of every namespace worst first each named,
// a namespace that failed named in the note, the JSON line's rows with their netns.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "watch/fake_world_test.h"
#include "watch/frame.h"
#include "watch/frame_json.h"
#include "watch/watch_loop.h"

namespace tw::watch {
namespace {

TEST(NodeFrame, TheWorstPoolsAcrossTheNodeEachNamed) {
  std::map<std::string, testing::FakeWorld> worlds;
  worlds["calm"].destinations = {{.remote = "10.0.0.7", .time_wait = 100}};
  worlds["busy"].destinations = {{.remote = "10.0.0.9", .time_wait = 20000},
                                 {.remote = "10.0.0.8", .time_wait = 50}};
  worlds["gone"].fail = true;
  worlds["calm"].sockstat_tw = 100;
  worlds["busy"].sockstat_tw = 20050;
  SamplerOptions o;
  o.node = true;
  o.min_interval = std::chrono::milliseconds(0);
  Sampler sampler({SampleTarget{"calm"}, SampleTarget{"busy"}, SampleTarget{"gone"}}, o,
                  take_sample,
                  [&](const std::vector<SampleTarget>& targets, const SamplerOptions& so,
                      const std::vector<const Sample*>&, SampleSet& set) {
                    std::vector<std::unique_ptr<Sample>> out;
                    for (const auto& t : targets)
                      out.push_back(testing::take_from(&worlds[t.netns])(t, so, nullptr));
                    set.node_source = "per-netns";
                    set.node_note = "the test's walk refused";
                    return out;
                  });
  const Frame f = next_frame(sampler, StateMask::all());
  EXPECT_EQ(f.error, "");
  EXPECT_EQ(f.target, "node");
  EXPECT_EQ(f.namespaces, 3u);
  EXPECT_EQ(f.namespaces_read, 2u);
  EXPECT_FALSE(f.one_walk);
  EXPECT_NE(f.note.find("3 namespaces read one at a time (per-netns): the test's walk refused"),
            std::string::npos)
      << f.note;
  EXPECT_NE(f.note.find("1 not read: gone (cannot enter the namespace)"), std::string::npos)
      << f.note;
  // Summed over the namespaces read.
  EXPECT_EQ(f.total.now, 20150);
  ASSERT_TRUE(f.sockstat_tw);
  EXPECT_EQ(*f.sockstat_tw, 20150);
  // Worst first across the node: busy's 10.0.0.9 (20,000 of 28,232 ports), then the rest.
  ASSERT_EQ(f.rows.size(), 3u);
  EXPECT_EQ(f.rows[0].netns, "busy");
  EXPECT_EQ(f.rows[0].key, "busy: 10.0.0.5 -> 10.0.0.9:8080");
  EXPECT_EQ(f.rows[0].sockets, 20000);
  EXPECT_EQ(f.rows[1].netns, "calm");
  EXPECT_EQ(f.rows[2].key, "busy: 10.0.0.5 -> 10.0.0.8:8080");
  for (size_t i = 1; i < f.rows.size(); ++i)
    EXPECT_FALSE(worse(*f.rows[i].forecast, *f.rows[i - 1].forecast)) << i;

  const nlohmann::json j = frame_json(f, 10);
  EXPECT_EQ(j["netns"], "node");
  EXPECT_EQ(j["node"]["source"], "per-netns");
  EXPECT_EQ(j["node"]["namespaces_read"], 2);
  EXPECT_EQ(j["tuples"][0]["netns"], "busy");
  EXPECT_EQ(j["tuples"][0]["tuple"], "10.0.0.5 -> 10.0.0.9:8080");
  EXPECT_EQ(j["worst_pool"]["netns"], "busy");
  EXPECT_EQ(j["worst_pool"]["key"], "10.0.0.5 -> 10.0.0.9:8080");
}

TEST(NodeFrame, ANodeWithNothingReadIsAnError) {
  testing::FakeWorld gone;
  gone.fail = true;
  SamplerOptions o;
  o.node = true;
  Sampler sampler({SampleTarget{"a"}, SampleTarget{"b"}}, o, testing::take_from(&gone), nullptr);
  const Frame f = build_node_frame(*sampler.refresh(), sampler, StateMask::all());
  EXPECT_NE(f.error.find("no namespace could be read"), std::string::npos) << f.error;
  EXPECT_NE(f.error.find("2 not read"), std::string::npos) << f.error;
}

}  // namespace
}  // namespace tw::watch
