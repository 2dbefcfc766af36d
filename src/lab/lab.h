// SPDX-License-Identifier: Apache-2.0
// The lab's entry point for front ends: checks privileges, removes leftovers of killed runs,
// handles Ctrl-C, and runs scenarios one after another.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lab/scenario.h"
#include "model/result.h"

namespace tw::lab {

// Fails with one line when the process cannot create namespaces (needs root: CAP_SYS_ADMIN and
// CAP_NET_ADMIN).
Status check_privileges();

// Where a run is: scenario `index` (0-based) of `total`, named `name`, is about to start.
struct LabProgress {
  size_t index = 0, total = 0;
  std::string name;
};

// Runs the named scenarios ("all" = every one) in order; each result is handed to `done` as
// soon as it is measured, and `starting` (if set) is told before each scenario begins. Leftover
// lab namespaces of dead runs are removed first (their names go to `cleaned`). Stops early on
// Ctrl-C (SIGINT/SIGTERM), with an error saying so.
Status run_scenarios(const std::vector<std::string>& names, const LabOptions& options,
                     const std::function<void(const ScenarioResult&)>& done,
                     std::vector<std::string>* cleaned,
                     const std::function<void(const LabProgress&)>& starting = {});

}  // namespace tw::lab
