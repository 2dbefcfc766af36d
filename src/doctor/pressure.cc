#include "doctor/pressure.h"

namespace tw {

PressureSummary summarize_pressure(const DoctorInput& in) {
  PressureSummary s;
  if (!in.sockets) return s;
  // pressure() is sorted worst first, so the first of each kind is its worst.
  for (const TuplePressure& t : in.sockets->pressure()) {
    auto& slot = t.key.remote.addr.is_loopback() ? s.worst_loopback : s.worst_remote;
    if (!slot) slot = t;
    if (s.worst_loopback && s.worst_remote) break;
  }
  return s;
}

}  // namespace tw
