// SPDX-License-Identifier: Apache-2.0
// Scenario `fin-timeout`: the commonest wrong advice is to lower tcp_fin_timeout to shorten
// TIME_WAIT. With a short and the default tcp_fin_timeout the client makes one TIME_WAIT (the
// server closes after it) and one orphaned FIN_WAIT2 (the server never closes), and the kernel's
// own timers are read: TIME_WAIT stays at 60 s, only the FIN_WAIT2 follows tcp_fin_timeout.
#pragma once

#include "lab/scenario.h"

namespace tw::lab {

struct FinTimeoutRun {
  int fin_timeout = 0;           // tcp_fin_timeout set in the client namespace (seconds)
  double time_wait_left_s = -1;  // the TIME_WAIT's timer right after it was made
  double fin_wait2_left_s = -1;  // the orphaned FIN_WAIT2's timer right after the close
  // When the orphaned FIN_WAIT2 was gone (-1: not watched or still there), and whether the
  // TIME_WAIT was still there then.
  double fin_wait2_gone_after_s = -1;
  bool time_wait_still_there = false;
};

// watch: wait (up to fin_timeout + 3 s) until the FIN_WAIT2 is gone.
Result<FinTimeoutRun> measure_fin_timeout(int fin_timeout, bool watch);

Result<ScenarioResult> run_fin_timeout(const LabOptions& options);

}  // namespace tw::lab
