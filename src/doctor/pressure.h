// The worst ephemeral-port pressure toward remote and loopback destinations, shared by the rules
// that recommend by it (port-pressure, tcp_tw_reuse).
#pragma once

#include <optional>

#include "census/census.h"
#include "doctor/doctor_input.h"

namespace tw {

struct PressureSummary {
  std::optional<TuplePressure> worst_remote;    // destination not on loopback
  std::optional<TuplePressure> worst_loopback;  // 127/8, ::1 (tcp_tw_reuse=2 covers these)
};

PressureSummary summarize_pressure(const DoctorInput& in);

inline bool under_pressure(const std::optional<TuplePressure>& t) {
  return t && t->percent() >= kPressureWarnPercent;
}

}  // namespace tw
