// SPDX-License-Identifier: Apache-2.0
// Numbers as every view shows them (tables, findings, watch, plan, lab): one format each, so a
// rate or a percent never reads differently between views. No JSON here: it is for the renderers.
#pragma once

#include <cstdint>
#include <string>

namespace tw {

// 12034 -> "12,034"
std::string with_commas(int64_t n);
// "made at ~200/s over the last 60 s" style rate text: "~0.5/s", "~12/s", "~1,200/s".
std::string format_rate(double per_second);
// One percent format for every view: "43.7 %" (a pool not full never reads "100.0 %").
std::string format_percent(double percent);
// JSON numbers: rates to 2 decimals, percents and seconds to 1.
double round_to(double v, int decimals);

}  // namespace tw
