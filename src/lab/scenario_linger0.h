// SPDX-License-Identifier: Apache-2.0
// Scenario `linger0`: closing with SO_LINGER {on, 0} aborts the connection: no TIME_WAIT, an RST
// instead of a FIN, and whatever the peer had not yet received or read is gone.
#pragma once

#include <cstdint>

#include "lab/scenario.h"

namespace tw::lab {

struct LingerPhase {
  int trials = 0;
  int64_t bytes_sent = 0;      // accepted by write() over all trials
  int64_t bytes_received = 0;  // read by the receiver over all trials
  int trials_losing = 0;       // trials where the receiver got fewer bytes than were written
  int econnreset = 0;          // trials where the receiver's read failed with ECONNRESET
  int64_t client_time_wait = 0;
  int64_t out_rsts = 0, abort_on_data = 0, abort_on_close = 0;  // sender's counter deltas
  int64_t lost() const { return bytes_sent - bytes_received; }
};

struct LingerResult {
  LingerPhase linger0, normal;
};

// `trials` connections per phase; the sender writes `bytes` then closes.
Result<LingerResult> measure_linger0(int trials, int64_t bytes);
Result<ScenarioResult> run_linger0(const LabOptions& options);

}  // namespace tw::lab
