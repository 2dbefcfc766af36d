// SPDX-License-Identifier: Apache-2.0
// A finding of the doctor: what is wrong (or fine), the numbers that show it, why, and exactly what
// to do — and what not to. Rules produce findings; renderers and --apply consume them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/severity.h"

namespace tw {

// A kernel setting among a finding's fixes. `apply` is false for settings a person must weigh
// first (doctor --apply writes only those with apply = true, and never a harmful one).
struct SysctlSetting {
  std::string name;  // dotted, "net.ipv4.tcp_tw_reuse"
  std::string value;
  bool apply = true;
};

// One value of a finding's data, in JSON's shapes but plain types: the many units that read
// findings (sampler, watch, exporter, cli) then do not compile nlohmann/json. Rules build their
// data as JSON and doctor/finding_json.h converts both ways; the JSON renderers build JSON from it.
struct DataValue {
  using List = std::vector<DataValue>;
  using Fields = std::vector<std::pair<std::string, DataValue>>;  // in key order, keys unique
  std::variant<std::nullptr_t, bool, int64_t, uint64_t, double, std::string, List, Fields> v;
};

struct Finding {
  std::string id;  // stable, kebab-case: "port-pressure", "tcp-tw-recycle", ...
  Severity severity = Severity::kOk;
  // False when the rule's input was missing: the title says "not checked: no <input>".
  bool checked = true;
  std::string title;                  // one line
  std::vector<std::string> evidence;  // measured numbers, one per line
  // The numbers behind the evidence as fields (--json "data"; docs/doctor.md lists them per id).
  DataValue::Fields data;
  std::string why;                       // two or three sentences
  std::vector<std::string> sources;      // RFCs, kernel commits and versions
  std::vector<std::string> commands;     // exact commands to run now (non-sysctl, e.g. Windows)
  std::vector<SysctlSetting> sysctls;    // kernel settings; commands and sysctl.d form derive
  std::vector<std::string> application;  // application-side fixes, best first
  std::vector<std::string> dont;         // what not to do, and why
  std::vector<std::string> topics;       // `timewait explain TOPIC` for more
};

// A finding for a rule whose input is missing: severity info, checked = false.
Finding not_checked(std::string id, std::string_view missing, std::vector<std::string> topics);

// The worst severity among findings (ok for none).
Severity worst(const std::vector<Finding>& findings);

}  // namespace tw

namespace tw {

// Exit status of `timewait doctor` by the worst finding: 0 ok or info, 3 warning, 4 critical
// (1 and 2 stay "failed to run" and "usage error", cli/command.h).
inline constexpr int kExitWarning = 3;
inline constexpr int kExitCritical = 4;
int exit_code_for(Severity worst);

// `command` as typed from the host's shell to run it in `netns` (a HostFacts::netns):
// `ip netns exec NAME command` for a named namespace, `nsenter -t PID -n command` for "pid:PID",
// unchanged for the host (or unknown).
std::string in_namespace(std::string_view netns, std::string_view command);

// `sysctl -w name=value`, quoting values with spaces, run in `netns` (in_namespace).
std::string sysctl_command(const SysctlSetting& s, std::string_view netns = "");

}  // namespace tw
