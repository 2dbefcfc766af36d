// SPDX-License-Identifier: Apache-2.0
// What /metrics serves: every metric family of the exporter rendered from one SampleSet (the
// sampler's shared census of each namespace), in the text exposition format. Names follow
// Prometheus' rules (timewait_ prefix, base units in the name, _total on counters, no label whose
// values cannot be summed: a window or a threshold is part of the name); each series of a
// namespace carries `netns`, host-wide values (sockstat orphans, nf_conntrack_max) come once
// without it; per-tuple series exist for the worst `top_tuples` tuples only, with unlabelled
// aggregates over all tuples, so cardinality stays bounded whatever the host does. The process_*
// families and timewait_build_info follow client libraries' conventions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exposition.h"
#include "exporter/netns_labels.h"
#include "exporter/process_stats.h"
#include "sampler/sampler.h"
#include "sources/netns_list.h"

namespace tw {

// timewait_build_info's labels (Prometheus' <name>_build_info: version, revision, branch and the
// toolchain, as Go's goversion). The front end fills them from its version data.
struct BuildLabels {
  std::string version = "unknown";
  std::string revision = "unknown";  // the full commit hash
  std::string branch = "unknown";
  std::string compiler = "unknown";  // "gcc 12.2.0"
};

struct MetricsOptions {
  size_t top_tuples = 10;  // --top-tuples: per-tuple series for the worst K tuples per namespace
  BuildLabels build;
};

// What the front end knows about this scrape and the exporter's life.
struct ScrapeContext {
  std::chrono::steady_clock::time_point started{};  // when the request arrived
  int64_t errors_total = 0;    // namespace reads that failed, over the exporter's life
  int64_t censuses_total = 0;  // sets the sampler took
  // Per target (same order as the set's samples), when known: inode and process for the
  // timewait_netns_info series. Empty: no info series.
  std::vector<NetnsRef> netns;
  // Per target, when known (--all-netns): the `netns` value and the pod labels of its series
  // (exporter/netns_labels.h). Empty: `netns` is the target's own label().
  std::vector<NetnsLabels> labels;
  // The exporter's own process (process_* families); none: left out.
  std::optional<ProcessStats> process;
};

// Adds every family and series of `set` to `out`. The scrape's own duration is the last series,
// measured from `ctx.started` to the end of rendering the rest.
void render_metrics(const SampleSet& set, const MetricsOptions& options, const ScrapeContext& ctx,
                    Exposition& out);
std::string render_metrics(const SampleSet& set, const MetricsOptions& options,
                           const ScrapeContext& ctx);

// The lower-case label value of a state, as node_exporter spells it: "time_wait", "fin_wait2".
std::string state_label(TcpState s);

// Every metric family name the exporter can serve (for dashboards' and rules' tests).
std::vector<std::string> metric_family_names();

}  // namespace tw
