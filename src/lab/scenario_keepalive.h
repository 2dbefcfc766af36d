// SPDX-License-Identifier: Apache-2.0
// Scenario `keepalive`: the same requests over one persistent connection versus a new connection
// each: TIME_WAIT made, requests per second.
#pragma once

#include <cstdint>

#include "lab/scenario.h"

namespace tw::lab {

struct KeepaliveResult {
  int64_t requests = 0;
  double persistent_seconds = 0, per_request_seconds = 0;
  int64_t persistent_requests = 0, per_request_requests = 0;    // answered
  int64_t persistent_time_wait = 0, per_request_time_wait = 0;  // client census
  double persistent_rate() const {
    return persistent_seconds > 0 ? persistent_requests / persistent_seconds : 0;
  }
  double per_request_rate() const {
    return per_request_seconds > 0 ? per_request_requests / per_request_seconds : 0;
  }
};

Result<KeepaliveResult> measure_keepalive(int64_t requests, double max_seconds);
Result<ScenarioResult> run_keepalive(const LabOptions& options);

}  // namespace tw::lab
