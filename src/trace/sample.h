// SPDX-License-Identifier: Apache-2.0
// A fixed-length in-kernel count for callers other than `timewait trace` (doctor --trace): attach,
// wait, read the summary, detach.
#pragma once

#include <functional>

#include "model/result.h"
#include "trace/summary.h"
#include "trace/tracer.h"

namespace tw {

// check_trace_requirements() and prepare_tracefs() must have succeeded. `attached` runs once the
// programs are attached, before the wait. `stop` returning true ends the wait early; the summary
// then covers the time traced.
Result<TraceSummary> sample_summary(const TraceFilter& filter, double seconds,
                                    const std::function<void()>& attached = {},
                                    const std::function<bool()>& stop = {});

}  // namespace tw
