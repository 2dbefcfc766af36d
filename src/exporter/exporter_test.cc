// SPDX-License-Identifier: Apache-2.0
// The exporter reads its namespaces with one node read per census (--all-netns, or several
// --netns), and serves each namespace's series with the source it was read by.
#include "exporter/exporter.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

namespace tw {
namespace {

struct Calls {
  std::atomic<int> take{0}, sets{0};
  std::vector<std::string> labels;  // of the last set
};

ExporterConfig config(Calls& calls) {
  ExporterConfig cfg;
  cfg.sampler.min_interval = std::chrono::milliseconds(0);
  cfg.take = [&calls](const SampleTarget& t, const SamplerOptions&, const Sample*) {
    ++calls.take;
    auto s = std::make_unique<Sample>();
    s->target = t;
    return s;
  };
  cfg.take_set = [&calls](const std::vector<SampleTarget>& targets, const SamplerOptions&,
                          const std::vector<const Sample*>&, SampleSet& set) {
    ++calls.sets;
    calls.labels.clear();
    std::vector<std::unique_ptr<Sample>> out;
    for (const auto& t : targets) {
      calls.labels.push_back(t.label());
      auto s = std::make_unique<Sample>();
      s->target = t;
      s->facts.source = "bpf:all-netns";
      out.push_back(std::move(s));
    }
    set.node_source = "bpf:all-netns";
    set.one_walk = true;
    return out;
  };
  return cfg;
}

TEST(Exporter, AllNetnsIsOneNodeReadPerCensus) {
  Calls calls;
  ExporterConfig cfg = config(calls);
  cfg.all_netns = true;
  cfg.discover = []() -> Result<std::vector<NetnsRef>> {
    return std::vector<NetnsRef>{NetnsRef{.inode = 1, .self = true},
                                 NetnsRef{.name = "blue", .inode = 2},
                                 NetnsRef{.pid = 42, .inode = 3, .comm = "nginx"}};
  };
  // The node's namespace is inode 1 here (label_node would ask this machine's PID 1).
  cfg.label = [](const std::vector<NetnsRef>& refs) { return label_namespaces(refs, 1, nullptr); };
  Exporter exporter(std::move(cfg));
  const std::string text = exporter.scrape();
  EXPECT_EQ(calls.sets, 1);
  EXPECT_EQ(calls.take, 0);
  EXPECT_EQ(calls.labels, (std::vector<std::string>{"host", "blue", "pid:42"}));
  for (const char* ns : {"host", "blue", "netns:3"})  // the series' stable netns values
    EXPECT_NE(text.find(fmt::format(
                  "timewait_census_source_info{{netns=\"{}\",source=\"bpf:all-netns\"}} 1\n", ns)),
              std::string::npos)
        << ns << "\n"
        << text;
  exporter.scrape();
  EXPECT_EQ(calls.sets, 2);
  EXPECT_EQ(calls.take, 0);
}

TEST(Exporter, SeveralNamespacesAreOneNodeReadAndOneIsItsOwn) {
  Calls calls;
  ExporterConfig cfg = config(calls);
  cfg.targets = {SampleTarget{"blue"}, SampleTarget{"green"}};
  Exporter(cfg).scrape();
  EXPECT_EQ(calls.sets, 0);  // a caller's own take (this test's) is kept one by one
  EXPECT_EQ(calls.take, 2);

  Calls node;
  ExporterConfig live = config(node);
  live.take = take_sample;  // the default take: several targets share one read
  live.targets = {SampleTarget{"blue"}, SampleTarget{"green"}};
  Exporter(live).scrape();
  EXPECT_EQ(node.sets, 1);
  EXPECT_EQ(node.labels, (std::vector<std::string>{"blue", "green"}));

  Calls one;
  ExporterConfig single = config(one);
  single.take = take_sample;
  single.take_set = [&one](const std::vector<SampleTarget>&, const SamplerOptions&,
                           const std::vector<const Sample*>&, SampleSet&) {
    ++one.sets;
    return std::vector<std::unique_ptr<Sample>>{};
  };
  single.targets = {SampleTarget{"twnode-no-such-namespace"}};
  const std::string text = Exporter(single).scrape();
  EXPECT_EQ(one.sets, 0);  // one namespace: its own read
  EXPECT_NE(text.find("timewait_up{netns=\"twnode-no-such-namespace\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace tw
