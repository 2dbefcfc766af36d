// SPDX-License-Identifier: Apache-2.0
// The exporter's state between scrapes: one Sampler over the target namespaces, so concurrent
// scrapes share one census per min_interval; with --all-netns the namespaces are found again at
// most once per min_interval (containers come and go) and the sampler follows the new set.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/metrics.h"
#include "exporter/netns_labels.h"
#include "sampler/sampler.h"
#include "sources/netns_list.h"

namespace tw {

using DiscoverFn = std::function<Result<std::vector<NetnsRef>>()>;
using LabelFn = std::function<std::vector<NetnsLabels>(const std::vector<NetnsRef>&)>;

struct ExporterConfig {
  std::vector<SampleTarget> targets;  // without all_netns: the namespaces to read
  // The namespaces are found by `discover` (every namespace on the host; the front end passes
  // --netns/--pid this way too, so they are labelled alike), again at most once per min_interval.
  bool all_netns = false;
  SamplerOptions sampler;
  MetricsOptions metrics;
  DiscoverFn discover = [] { return list_network_namespaces(); };
  // Each discovered namespace's labels, made with each discovery (it walks /proc: once per
  // min_interval, not per scrape).
  LabelFn label = [](const std::vector<NetnsRef>& refs) { return label_node(refs, {}); };
  TakeSampleFn take = take_sample;
  TakeSetFn take_set = take_node_samples;  // a node read (--all-netns, several --netns)
};

// The target a discovered namespace is read through: its name, else its pid, else (the
// exporter's own) the calling thread's.
SampleTarget target_of(const NetnsRef& ref);

class Exporter {
 public:
  explicit Exporter(ExporterConfig config);

  // The /metrics body; waits at most for one census.
  std::string scrape();
  // Censuses and failed namespace reads over the exporter's life (across re-discoveries).
  int64_t censuses_total() const;
  int64_t errors_total() const;

 private:
  struct State {
    std::shared_ptr<Sampler> sampler;
    std::vector<NetnsRef> refs;
    std::vector<NetnsLabels> labels;  // per ref
  };
  State current();

  ExporterConfig config_;
  mutable std::mutex mu_;
  State state_;
  std::chrono::steady_clock::time_point discovered_{};
  int64_t errors_base_ = 0, sets_base_ = 0, discovery_errors_ = 0;
};

}  // namespace tw
