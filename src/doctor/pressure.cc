// SPDX-License-Identifier: Apache-2.0
#include "doctor/pressure.h"

namespace tw {

PressureSummary summarize_pressure(const DoctorInput& in) {
  PressureSummary s;
  if (!in.sockets) return s;
  // forecast_tuples() is sorted worst first, so the first of each kind is its worst.
  for (TupleForecast& t : forecast_tuples(*in.sockets, in.policy())) {
    auto& slot = t.tuple.key.remote.addr.is_loopback() ? s.worst_loopback : s.worst_remote;
    if (!slot) slot = std::move(t);
    if (s.worst_loopback && s.worst_remote) break;
  }
  if (!in.is_windows()) {
    auto binds = forecast_source_pools(*in.sockets, in.policy());
    if (!binds.empty()) s.worst_bind = std::move(binds.front());
  }
  return s;
}

}  // namespace tw
