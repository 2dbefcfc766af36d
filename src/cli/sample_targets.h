// SPDX-License-Identifier: Apache-2.0
// --netns NAME and --pid PID, each repeatable, to the live sampler's targets (exporter, watch):
// checked up front, so a misspelt name is a usage error before anything starts.
#pragma once

#include <string>
#include <vector>

#include "model/result.h"
#include "sampler/sampler.h"

namespace tw::cli {

// No names and no pids: the caller's own namespace ("host"). A name or pid given twice, or one
// that names no namespace, is an error naming it.
Result<std::vector<SampleTarget>> sample_targets(const std::vector<std::string>& netns,
                                                 const std::vector<int>& pids);

}  // namespace tw::cli
