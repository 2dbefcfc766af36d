// SPDX-License-Identifier: Apache-2.0
// Renders a census for people (a table) and for machines (JSON, schema in docs/json.md). Both
// front ends and future exporters share these, so the numbers never differ between views.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "census/census.h"
#include "model/host_facts.h"

namespace tw {

// A process holding sockets, as the input tells (a snapshot's owners, `ss -p`, `netstat -p`).
struct ProcessCount {
  int pid = 0;
  std::string command;  // "" when the input names only the pid
  int64_t sockets = 0;
};

struct CensusReport {
  const HostFacts* facts = nullptr;
  const Census* census = nullptr;
  std::string note;                  // a fallback or retry the user should know about
  size_t top = 20;                   // rows of the group and pressure tables; 0 = all
  size_t width = 100;                // lines are laid out to fit this many columns (the terminal's)
  std::vector<ProcessCount> owners;  // most sockets first; empty when the input has no owners
  bool owners_live = false;  // looked up now in /proc (census -p), not recorded by the input
};

std::string render_census_table(const CensusReport& r);
nlohmann::json census_to_json(const CensusReport& r);

// 12034 -> "12,034"
std::string with_commas(int64_t n);
// "made at ~200/s over the last 60 s" style rate text: "~0.5/s", "~12/s", "~1,200/s".
std::string format_rate(double per_second);
// One percent format for every view: "43.7 %" (a pool not full never reads "100.0 %").
std::string format_percent(double percent);
// JSON numbers: rates to 2 decimals, percents and seconds to 1.
double round_to(double v, int decimals);

struct Forecast;
// A tuple's forecast as JSON fields: percent, free, rates_measured, rate_10s, rate_60s,
// sustainable_rate, tw_reuse, eta_s, state, level (docs/json.md).
nlohmann::json forecast_json(const Forecast& f);

}  // namespace tw
