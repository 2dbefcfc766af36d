// SPDX-License-Identifier: Apache-2.0
// The doctor's findings for people (a summary table, then each finding that needs attention in
// full) and for machines (JSON, schema "timewait-doctor/1", docs/doctor.md).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "doctor/finding.h"
#include "model/host_facts.h"

namespace tw {

inline constexpr const char* kSysctlConfPath = "/etc/sysctl.d/60-timewait.conf";

struct DoctorReport {
  const HostFacts* facts = nullptr;
  const std::vector<Finding>* findings = nullptr;  // worst first (run_rules order)
  std::string note;                                // fallbacks, assumptions
  bool verbose = false;                            // details of ok findings too
  size_t width = 100;                              // lines fit this many columns
};

std::string render_doctor_table(const DoctorReport& r);
nlohmann::json doctor_to_json(const DoctorReport& r);
// `netns` (HostFacts::netns) makes the commands run there.
nlohmann::json finding_to_json(const Finding& f, std::string_view netns = "");

}  // namespace tw
