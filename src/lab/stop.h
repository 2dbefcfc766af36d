// SPDX-License-Identifier: Apache-2.0
// Ctrl-C for the lab and trace: SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session)
// only raise a flag. Every traffic loop checks it, returns
// early, and the normal unwinding path deletes the namespaces (their veth ends go with them).
#pragma once

#include <signal.h>

namespace tw::lab {

bool stop_requested();
void request_stop();

// Installs the SIGINT/SIGTERM/SIGHUP handlers for its lifetime and restores the previous ones
// after.
class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_hup_{};
};

}  // namespace tw::lab
