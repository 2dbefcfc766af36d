// SPDX-License-Identifier: Apache-2.0
#include "doctor/rules.h"

#include <algorithm>

namespace tw {

const std::vector<Rule>& all_rules() {
  static const std::vector<Rule> kRules = {
      {"tw_recycle", rule_tw_recycle},
      {"tw_reuse", rule_tw_reuse},
      {"timestamps", rule_timestamps},
      {"ephemeral_range", rule_ephemeral_range},
      {"listener_in_range", rule_listener_in_range},
      {"node_port_range", rule_node_port_range},
      {"port_pressure", rule_port_pressure},
      {"server_time_wait", rule_server_time_wait},
      {"syn_into_time_wait", rule_syn_into_time_wait},
      {"max_tw_buckets", rule_max_tw_buckets},
      {"fin_timeout", rule_fin_timeout},
      {"close_wait", rule_close_wait},
      {"orphans", rule_orphans},
      {"syn_recv", rule_syn_recv},
      {"conntrack", rule_conntrack},
      {"so_linger", rule_so_linger},
      {"windows", rule_windows},
      {"trace_owners", rule_trace_owners},
  };
  return kRules;
}

std::vector<Finding> run_rules(const DoctorInput& in) {
  std::vector<Finding> out;
  for (const Rule& r : all_rules()) {
    auto f = r.check(in);
    out.insert(out.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace tw
