// SPDX-License-Identifier: Apache-2.0
// Renders lab results for people (a table: what / theory / measured / verdict, cells wrapped to
// fit 100 columns) and for machines (JSON, documented in docs/lab.md).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "lab/scenario.h"

namespace tw::lab {

std::string render_table(const ScenarioResult& r);
nlohmann::json to_json(const ScenarioResult& r);
// `lab list`
std::string render_list();

}  // namespace tw::lab
