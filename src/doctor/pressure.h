// SPDX-License-Identifier: Apache-2.0
// The worst ephemeral-port pressure toward remote and loopback destinations, by the forecast
// (census/forecast.h), shared by the rules that recommend by it (tcp_tw_reuse, Windows range).
#pragma once

#include <optional>

#include "census/forecast.h"
#include "doctor/doctor_input.h"

namespace tw {

struct PressureSummary {
  std::optional<TupleForecast> worst_remote;    // destination not on loopback
  std::optional<TupleForecast> worst_loopback;  // 127/8, ::1 (tcp_tw_reuse=2 covers these)
  // The worst pool of a local address bind() draws from (Linux): tcp_tw_reuse does nothing for it.
  std::optional<SourceForecast> worst_bind;
};

PressureSummary summarize_pressure(const DoctorInput& in);

// The port-pressure finding warns about this tuple (its forecast level is not ok).
inline bool under_pressure(const std::optional<TupleForecast>& t) {
  return t && t->forecast.level() != Severity::kOk;
}
inline bool under_pressure(const std::optional<SourceForecast>& s) {
  return s && s->forecast.level() != Severity::kOk;
}

}  // namespace tw
