// SPDX-License-Identifier: Apache-2.0
// `timewait plan` output: a table for people (numbers with their sources as footnotes) and JSON
// (schema timewait-plan/1, docs/plan.md).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "plan/levers.h"
#include "plan/planner.h"

namespace tw::plan {

std::string render_table(const Plan& p, const std::vector<Lever>& levers, size_t width);
nlohmann::json to_json(const Plan& p, const std::vector<Lever>& levers);

// "470.5/s", "no TIME_WAIT limit"
std::string rate_text(const std::optional<double>& r);
// "in 1.6 s", "in ~4.8 months", "never at this rate", ...
std::string exhaustion_text(const Plan& p);

}  // namespace tw::plan
