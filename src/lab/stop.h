// SPDX-License-Identifier: Apache-2.0
// Ctrl-C for the lab: os/stop_signals under the names the lab's traffic loops use.
#pragma once

#include "os/stop_signals.h"

namespace tw::lab {

using os::request_stop;
using os::stop_requested;
using StopOnSignals = os::StopSignals;

}  // namespace tw::lab
