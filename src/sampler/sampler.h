// SPDX-License-Identifier: Apache-2.0
// The one live sampler behind `timewait exporter` and `timewait watch`: it takes a census of each
// target namespace (sockets, host facts, per-tuple forecasts and, when asked, the doctor's
// findings) at most once per min_interval, shares that census between concurrent readers (many
// scrapes, one census), and keeps a light history per target for deltas, rates and sparklines.
// Both front ends read the same Sample, so a number on the watch screen and in /metrics agree.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "census/census.h"
#include "census/family_counts.h"
#include "census/forecast.h"
#include "doctor/collector.h"
#include "doctor/doctor_input.h"
#include "doctor/finding.h"
#include "model/host_facts.h"
#include "model/port_range.h"
#include "sources/input.h"
#include "sources/live_sockets.h"
#include "sources/node_read.h"

namespace tw {

// Whose sockets a sample counts: a named namespace (/run/netns/NAME), a process's namespace, or
// (neither given) the namespace of the thread that made the Sampler; label() names it in output
// and in the `netns` label, as every front end does.
using SampleTarget = InputTarget;

struct SamplerOptions {
  SourceKind source = SourceKind::kAuto;
  // The states and grouping of the census views (watch --state/--by). The doctor's censuses and
  // port pressure always see every socket.
  StateMask states = StateMask::all();
  GroupBy by = GroupBy::kState;
  std::optional<PortPool> port_range;  // --port-range: replaces the host's pool
  // latest() reuses a sample younger than this; 0 takes a new one on every call.
  std::chrono::milliseconds min_interval{5000};
  size_t history = 600;  // summaries kept per target (10 min at 1 s)
  bool doctor = false;   // run the doctor's rules on each sample (watch's bottom line)
  bool owners = false;   // look up CLOSE_WAIT owners in /proc (costs a walk of /proc/*/fd)
  // The counters a history summary keeps (null: all). A host has some 300 of them, ~28 kB per
  // summary: watch keeps the few it shows, so 300 summaries cost kilobytes, not megabytes.
  std::function<bool(std::string_view)> summary_counters;
  // --all-netns: the targets are a node's namespaces, read together by one node read
  // (sources/node_read.h: one walk of the shared table where it can run) instead of one by one.
  bool node = false;
  // How a node read enters each namespace (null: /run/netns, /proc; the exporter's --path.*).
  NodeEnterFn enter;
};

// One census of one target. Not copyable: the doctor input points into the collector.
struct Sample {
  SampleTarget target;
  std::chrono::steady_clock::time_point taken{};
  double duration_s = 0;  // how long reading the target took
  std::string error;      // the target could not be read; then nothing below is filled
  std::string note;       // a fallback or retry of the source, for the user

  HostFacts facts;  // sysctls, sockstat and counters read just before the sockets
  std::optional<PortPool> pool;
  bool pool_assumed = false;
  std::unique_ptr<DoctorCollector> collector;  // every socket, by state and by local port
  DoctorInput input;                           // into collector; earlier = previous sample's facts
  // The census of the requested states and grouping (the same object as input.sockets when the
  // options ask for every state by state).
  std::unique_ptr<Census> view;
  std::vector<TupleForecast> tuples;  // every tuple under pressure, worst first
  // Every local address's pool bind() draws from (Linux), worst first.
  std::vector<SourceForecast> bind_pools;
  std::vector<Finding> findings;  // options.doctor: run_rules(input), worst first
  // The PAWS counters of this target's recent samples, oldest first, kept for up to
  // kCounterWindowSeconds: the doctor's window (DoctorInput::window_counters).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::map<std::string, int64_t>>>
      recent_counters;
  FamilyCounts families;  // every socket by state, IPv4 and IPv6 apart

  bool ok() const { return error.empty(); }
  const Census& census() const { return view ? *view : *input.sockets; }
  // The host's TIME_WAIT creation rate from the timers (every state counted: the doctor census).
  double time_wait_rate(int seconds) const;
};

// What the history keeps of a sample: enough for deltas and sparklines, not the census.
struct SampleSummary {
  std::chrono::steady_clock::time_point taken{};
  bool ok = false;
  StateCounts counts{};
  int64_t fin_wait2_mini = 0;
  double time_wait_rate_10s = 0, time_wait_rate_60s = 0;
  std::map<std::string, int64_t> counters;  // TcpExt (and Tcp.*) as read
  std::optional<int64_t> sockstat_tw;
};

struct SampleSet {
  uint64_t sequence = 0;  // 1 for the first set, +1 per new set
  std::chrono::steady_clock::time_point taken{};
  std::chrono::system_clock::time_point wall{};
  double duration_s = 0;                               // all targets
  std::vector<std::shared_ptr<const Sample>> samples;  // one per target, in target order
  // A node read (SamplerOptions::node): kNodeSourceWalk or kNodeSourcePerNetns, whether one walk
  // read the shared table, and why not; empty when the targets were read one by one.
  std::string node_source;
  bool one_walk = false;
  std::string node_note;
};

// Reads one target (enters its namespace on a thread of its own). `previous` is the target's
// last sample or null; its facts become the doctor's `earlier`. Tests pass a fake.
using TakeSampleFn = std::function<std::unique_ptr<Sample>(
    const SampleTarget&, const SamplerOptions&, const Sample* previous)>;
std::unique_ptr<Sample> take_sample(const SampleTarget& target, const SamplerOptions& options,
                                    const Sample* previous);

// Reads every target at once (SamplerOptions::node): one Sample per target as take_sample makes
// it, and the node's source on `set`. `previous` holds each target's last sample or null.
using TakeSetFn = std::function<std::vector<std::unique_ptr<Sample>>(
    const std::vector<SampleTarget>&, const SamplerOptions&,
    const std::vector<const Sample*>& previous, SampleSet& set)>;
std::vector<std::unique_ptr<Sample>> take_node_samples(const std::vector<SampleTarget>& targets,
                                                       const SamplerOptions& options,
                                                       const std::vector<const Sample*>& previous,
                                                       SampleSet& set);

class Sampler {
 public:
  // A set is one take_set (a node read) with options.node, or with several targets and the
  // default take; otherwise one `take` per target.
  Sampler(std::vector<SampleTarget> targets, SamplerOptions options,
          TakeSampleFn take = take_sample, TakeSetFn take_set = take_node_samples);

  // The newest set, taken now when the last is older than min_interval. Callers that arrive
  // while a census runs wait for it instead of starting another: no caller waits longer than
  // one census.
  std::shared_ptr<const SampleSet> latest();
  // A new set now, whatever its age (watch's refresh and key presses).
  std::shared_ptr<const SampleSet> refresh();

  // Summaries of target i, oldest first, at most options.history.
  std::vector<SampleSummary> history(size_t target) const;
  // The first summary of target i (watch's "since start"), if any.
  std::optional<SampleSummary> first(size_t target) const;
  int64_t errors_total() const;  // targets that could not be read, over the sampler's life
  int64_t sets_total() const;    // sets taken

  const std::vector<SampleTarget>& targets() const { return targets_; }
  const SamplerOptions& options() const { return options_; }
  bool reads_node() const;  // a set is one take_set

 private:
  std::shared_ptr<const SampleSet> take_locked(std::unique_lock<std::mutex>& lock);

  std::vector<SampleTarget> targets_;
  SamplerOptions options_;
  TakeSampleFn take_;
  TakeSetFn take_set_;

  mutable std::mutex mu_;
  std::condition_variable done_;
  bool taking_ = false;
  std::shared_ptr<const SampleSet> current_;
  std::vector<std::deque<SampleSummary>> history_;
  std::vector<std::optional<SampleSummary>> first_;
  int64_t errors_ = 0;
  int64_t sets_ = 0;
};

SampleSummary summarize(const Sample& s);

}  // namespace tw
