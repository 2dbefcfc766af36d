// SPDX-License-Identifier: Apache-2.0
// HostFacts to and from JSON (the "facts" object of a snapshot; docs/json.md).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "model/host_facts.h"
#include "model/result.h"

namespace tw {

nlohmann::json facts_to_json(const HostFacts& f);
// The "host" object of the census and doctor JSON: who was read, how and when (docs/json.md).
nlohmann::json host_to_json(const HostFacts& f);
// Missing keys stay empty; values of the wrong type are an error naming the key.
Result<HostFacts> facts_from_json(const nlohmann::json& j);

}  // namespace tw
