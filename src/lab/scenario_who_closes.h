// SPDX-License-Identifier: Apache-2.0
// Scenario `who-closes`: the side that closes first (the active closer) holds TIME_WAIT; the
// passive closer goes through CLOSE_WAIT and LAST_ACK and keeps nothing.
#pragma once

#include <cstdint>

#include "lab/scenario.h"

namespace tw::lab {

struct WhoClosesCounts {
  int64_t connections = 0;
  int64_t client_first_client_tw = 0, client_first_server_tw = 0;
  int64_t server_first_client_tw = 0, server_first_server_tw = 0;
};

Result<WhoClosesCounts> measure_who_closes(int64_t connections);
Result<ScenarioResult> run_who_closes(const LabOptions& options);

}  // namespace tw::lab
