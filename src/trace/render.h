// SPDX-License-Identifier: Apache-2.0
// `timewait trace` output for people (one line per event, a summary table) and for machines
// (JSON lines, one summary object; schema in docs/trace.md).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "trace/summary.h"
#include "trace/trace_event.h"

namespace tw {

// Column titles of the event lines; `pods` adds POD and CONTAINER (a node that runs pods).
std::string render_event_header(bool pods = false);
// One line, times in seconds since t0_ns (the tracer's start, CLOCK_MONOTONIC).
std::string render_event_line(const TraceEvent& e, uint64_t t0_ns, bool pods = false);
// One JSON object and a newline, written directly: a busy host streams tens of thousands a second.
// An event of a pod's process has "namespace", "pod", "pod_uid", "container", "container_id".
std::string render_event_json(const TraceEvent& e, uint64_t t0_ns);

// What a streaming run saw in the end: events delivered and lost.
struct StreamTotals {
  double seconds = 0;
  uint64_t events = 0;
  TraceLoss lost;
};
std::string render_stream_end(const StreamTotals& t);
nlohmann::json stream_end_to_json(const StreamTotals& t);

// `scope` says what was traced, e.g. "network namespace twtest-1 (inode 4026532000)". POD and
// CONTAINER columns (JSON keys) appear when any row is a pod's.
std::string render_summary_table(const TraceSummary& s, const std::string& scope);
nlohmann::json summary_to_json(const TraceSummary& s, const std::string& scope);

}  // namespace tw
