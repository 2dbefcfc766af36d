// SPDX-License-Identifier: Apache-2.0
// The doctor's rules: each is a function from the input to findings, in its own file
// (rule_<name>.cc, tested in rule_<name>_test.cc). Adding a rule touches that file and the list in
// rules.cc.
#pragma once

#include <string_view>
#include <vector>

#include "doctor/doctor_input.h"
#include "doctor/finding.h"

namespace tw {

using RuleFn = std::vector<Finding> (*)(const DoctorInput&);

struct Rule {
  std::string_view name;
  RuleFn check;
};

// All rules, in the order their findings are reported.
const std::vector<Rule>& all_rules();
// Runs every rule; findings sorted worst first (stable: rule order within a severity).
std::vector<Finding> run_rules(const DoctorInput& in);

std::vector<Finding> rule_tw_recycle(const DoctorInput& in);
std::vector<Finding> rule_tw_reuse(const DoctorInput& in);
std::vector<Finding> rule_timestamps(const DoctorInput& in);
std::vector<Finding> rule_ephemeral_range(const DoctorInput& in);
std::vector<Finding> rule_listener_in_range(const DoctorInput& in);
std::vector<Finding> rule_node_port_range(const DoctorInput& in);
std::vector<Finding> rule_port_pressure(const DoctorInput& in);
std::vector<Finding> rule_server_time_wait(const DoctorInput& in);
std::vector<Finding> rule_syn_into_time_wait(const DoctorInput& in);
std::vector<Finding> rule_max_tw_buckets(const DoctorInput& in);
std::vector<Finding> rule_fin_timeout(const DoctorInput& in);
std::vector<Finding> rule_close_wait(const DoctorInput& in);
std::vector<Finding> rule_orphans(const DoctorInput& in);
std::vector<Finding> rule_syn_recv(const DoctorInput& in);
std::vector<Finding> rule_conntrack(const DoctorInput& in);
std::vector<Finding> rule_so_linger(const DoctorInput& in);
std::vector<Finding> rule_windows(const DoctorInput& in);
std::vector<Finding> rule_trace_owners(const DoctorInput& in);

}  // namespace tw
