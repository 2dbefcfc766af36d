// SPDX-License-Identifier: Apache-2.0
// Renders a census for people (a table) and for machines (JSON, schema in docs/json.md), and a
// tuple's forecast as the JSON fields doctor --json and watch --json share with it, so the numbers
// never differ between views. Numbers' text formats: model/format.h.
#pragma once

#include <nlohmann/json_fwd.hpp>
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
  // The Kubernetes pod ("namespace/name") and container the process runs in, when census -p
  // found it on the node: a hostNetwork pod's sockets are named so. "" otherwise.
  std::string pod, container;
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

struct Forecast;
// A tuple's forecast as JSON fields: percent, free, rates_measured, rate_10s, rate_60s,
// sustainable_rate, tw_reuse, eta_s, state, level (docs/json.md).
nlohmann::json forecast_json(const Forecast& f);

}  // namespace tw
