// SPDX-License-Identifier: Apache-2.0
// `timewait watch --json`: one JSON object per refresh on one line (JSON lines), schema
// timewait-watch/1 (docs/json.md).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "watch/frame.h"

namespace tw::watch {

// `top`: the worst destinations (or groups) listed; "total" counts them all.
nlohmann::json frame_json(const Frame& f, size_t top);

}  // namespace tw::watch
