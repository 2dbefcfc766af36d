// SPDX-License-Identifier: Apache-2.0
// How bad something is, one scale for every view: a doctor finding's severity and a pool's level
// (census/forecast.h), so the census table, watch, the exporter and the doctor agree on a word.
#pragma once

#include <string_view>

namespace tw {

// Ordered: the worst severity of a run decides the doctor's exit status (doctor/finding.h's
// exit_code_for). A pool's level is never kInfo.
enum class Severity { kOk = 0, kInfo = 1, kWarning = 2, kCritical = 3 };

std::string_view severity_name(Severity s);  // "ok", "info", "warning", "critical"

}  // namespace tw
