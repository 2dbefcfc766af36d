// SPDX-License-Identifier: Apache-2.0
// Ctrl-C for the long-running commands (lab, trace, watch, doctor's waits): SIGINT, SIGTERM and
// SIGHUP (a closed terminal or ssh session) only raise a flag, which every loop checks; the
// normal unwinding path then cleans up (namespaces deleted, the terminal restored).
#pragma once

#include <signal.h>

namespace tw::os {

bool stop_requested();
void request_stop();

// Installs the handlers for its lifetime (clearing the flag) and restores the previous ones
// after. No SA_RESTART: a blocking wait returns EINTR and its loop sees the flag.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_hup_{};
};

}  // namespace tw::os
