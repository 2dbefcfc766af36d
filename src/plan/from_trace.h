// SPDX-License-Identifier: Apache-2.0
// `plan --from SNAPSHOT --trace FILE`: the demand a snapshot cannot show. A pool at its limit
// lets through only what it sustains; connect() calls beyond it fail with EADDRNOTAVAIL, leave no
// TIME_WAIT and are counted by no kernel counter, so the census sees a lower bound. `timewait
// trace --json` counts them per process and tuple: attempts = connects that reached ESTABLISHED
// + failed connects, over the traced seconds, is the rate the clients wanted.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "model/endpoint.h"
#include "model/result.h"
#include "plan/plan_input.h"

namespace tw::plan {

// What a trace counted of client connects toward one destination from one local address,
// summed over processes. A failed connect() names the address the socket was bound to: the
// unspecified address for the usual unbound client.
struct TracedTuple {
  Address local;
  Endpoint remote;
  uint64_t connects = 0;                   // reached ESTABLISHED
  std::map<std::string, uint64_t> failed;  // errno name -> failed connect() calls
};

// A `timewait trace --json` output: the `--summary` document, or the stream's JSON lines ending
// with its "end" line.
struct TraceCounts {
  double seconds = 0;
  uint64_t lost = 0;  // events, counts or socket owners the tracer could not keep
  bool streamed = false;
  std::vector<TracedTuple> tuples;
};

// Reads it bounded (size, line length, nesting, rows) and validated; the message says what is
// wrong where, without the file's name (the caller adds it).
Result<TraceCounts> parse_trace(std::istream& in);
Result<TraceCounts> read_trace_file(const std::string& path);

// The attempts toward `tuple` (local address, remote address and port): connects from that
// address, and failures from it or from an unbound socket. Fails when the trace saw none.
Result<TracedDemand> demand_toward(const TraceCounts& t, const MeasuredTuple& tuple);

// Replaces the rate --from measured with the traced demand toward the same tuple (in->tuple,
// set by apply_census): the rate, its source and whether it is still a lower bound.
Status apply_trace(const TraceCounts& t, const std::string& file, PlanInput* in);

}  // namespace tw::plan
