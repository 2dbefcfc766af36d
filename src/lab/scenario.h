// SPDX-License-Identifier: Apache-2.0
// A lab scenario: builds its own namespaces, runs bounded traffic, and returns rows of
// theory / measured / verdict. The list of scenarios is in scenarios.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/result.h"

namespace tw::lab {

// Command-line knobs shared by the scenarios; 0 means "the scenario's default".
struct LabOptions {
  double rate = 0;                  // churn: new connections per second (0 = as fast as possible)
  int64_t count = 0;                // connections / requests / trials, depending on the scenario
  double duration = 0;              // churn: seconds per variant
  int port_low = 0, port_high = 0;  // churn: the client's ip_local_port_range
  bool compare_blocking = false;    // churn: also measure the minimal blocking loop
};

enum class Verdict {
  kConfirmed,  // measured what theory predicts
  kDiffers,    // measured something else: worth a look
  kInfo,       // a measurement with no prediction to check
};

struct Row {
  std::string what;      // "tw_reuse=0: connections before the first EADDRNOTAVAIL"
  std::string theory;    // "<= 500 (the port range)"
  std::string measured;  // "500 after 0.21 s"
  Verdict verdict = Verdict::kInfo;
};

struct ScenarioResult {
  std::string name, title;
  std::vector<Row> rows;
  std::vector<std::string> notes;  // settings used, sources (RFCs), caveats
  // The raw numbers behind the rows, for --json ("tw_reuse=0.connects" -> 500).
  std::map<std::string, double> values;
  bool confirmed() const;  // no row differs
};

struct Scenario {
  std::string name;
  std::string summary;  // one line for `lab list`
  std::function<Result<ScenarioResult>(const LabOptions&)> run;
};

const std::vector<Scenario>& scenarios();
const Scenario* find_scenario(const std::string& name);

// "confirmed" / "differs" / "info"
const char* verdict_name(Verdict v);
Verdict check(bool as_predicted);

}  // namespace tw::lab
