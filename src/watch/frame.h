// SPDX-License-Identifier: Apache-2.0
// What one refresh of `timewait watch` shows, taken from the shared sampler: state counts with
// their change since the last refresh and since start, sockstat, the TIME_WAIT creation rate and
// its recent history, the TIME_WAIT counters that moved, the destinations under port pressure (or
// the census groups of --by) and the doctor's findings. The screen, the log and the JSON lines
// are all drawn from a Frame, so they never disagree.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "census/census.h"
#include "census/forecast.h"
#include "doctor/finding.h"
#include "model/result.h"
#include "model/state_mask.h"
#include "sampler/sampler.h"

namespace tw::watch {

// A count now, and how it moved since the previous refresh and since the first.
struct Moving {
  int64_t now = 0, since_last = 0, since_start = 0;
};

struct StateLine {
  TcpState state{};
  Moving count;
};

struct CounterLine {
  std::string name;  // TcpExt name: TCPTimeWaitOverflow, TWRecycled, TWKilled, PAWS*
  Moving value;
};

// One destination tuple under pressure, or (with --by other than tuple) one census group.
struct Row {
  std::string key;        // describe_key(): "10.0.0.1 -> 10.0.0.2:80"
  int64_t sockets = 0;    // a tuple's ports in use; a group's sockets
  int64_t time_wait = 0;  // of which in TIME_WAIT
  double rate_10s = 0;    // TIME_WAITs made per second (60 s rate when 10 s is unknown)
  double share = 0;       // what the bar shows, 0..100: a tuple's percent of ports in use
  std::optional<Forecast> forecast;  // tuples only: free ports, ETA, level
  // A local address's pool that bind() before connect() draws from (key "10.93.1.1 (bind, 4
  // dest.)"), listed with the tuples in the same worst-first order: the worst pool decides.
  bool bind_pool = false;
  // watch --all-netns: the namespace of the row; its key then starts with "NETNS: ".
  std::string netns;
};

struct FindingLine {
  Severity severity = Severity::kOk;
  bool checked = true;
  std::string id, title;
};

struct Frame {
  uint64_t sequence = 0;
  std::chrono::system_clock::time_point wall{};
  std::string target;  // "host", the netns name, "pid:N"
  std::string pod;     // "namespace/name" when watched with --pod
  bool pod_host_network = false;
  std::string title;  // target and pod, for people (InputTarget::title)
  double census_seconds = 0;
  std::string error;  // the target could not be read: nothing below is filled
  std::string note;
  // build_node_frame: how the node was read (SampleSet::node_source, one_walk) and how many of
  // its namespaces were.
  std::string node_source;
  bool one_walk = false;
  size_t namespaces = 0, namespaces_read = 0;

  std::vector<StateLine> states;  // the --state states that hold sockets or did since start
  Moving total;                   // of the --state states
  std::optional<int64_t> sockstat_tw;
  int64_t fin_wait2_mini = 0;
  double time_wait_rate_10s = 0, time_wait_rate_60s = 0;
  std::vector<double> rate_history;   // the 10 s rate at each refresh kept, oldest first
  double history_seconds = 0;         // from the oldest kept refresh to this one
  std::vector<CounterLine> counters;  // the watched counters that moved since start

  GroupBy by = GroupBy::kTuple;  // kTuple: rows are port pressure; else census groups
  std::optional<PortPool> pool;
  std::vector<Row> rows;              // worst first (pressure order)
  std::vector<FindingLine> findings;  // worst first; empty when the doctor did not run
};

// The frame of target `target` of `set`, with its summaries (oldest first, the last one being
// this set's) and its first summary.
Frame build_frame(const SampleSet& set, size_t target, const std::vector<SampleSummary>& history,
                  const std::optional<SampleSummary>& first, StateMask states);

// watch --all-netns: every target of `set` in one frame (target "node"): counts, rates and
// counters summed over the namespaces read, the rows of all of them worst first (each key led by
// its namespace), the findings of all, worst first; the note says how the node was read and which
// namespaces could not be.
Frame build_node_frame(const SampleSet& set, const Sampler& sampler, StateMask states);

// "2026-12-01T12:40:01Z"
std::string utc_timestamp(std::chrono::system_clock::time_point t);

// Whether a TcpExt counter is one watch follows: TIME_WAIT overflow, reuse, kills and PAWS.
bool watched_counter(std::string_view name);

enum class SortKey { kPressure, kRate, kTimeWait };
inline constexpr std::array<SortKey, 3> kSortKeys = {SortKey::kPressure, SortKey::kRate,
                                                     SortKey::kTimeWait};
std::string_view sort_key_name(SortKey k);  // "pressure", "rate", "time-wait"
Result<SortKey> parse_sort_key(std::string_view name);
SortKey next_sort_key(SortKey k);

// The rows whose key contains `filter` (case-insensitive), in `sort` order (ties keep the
// pressure order).
std::vector<const Row*> visible_rows(const Frame& f, SortKey sort, std::string_view filter);

}  // namespace tw::watch
