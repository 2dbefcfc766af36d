// SPDX-License-Identifier: Apache-2.0
#include "doctor/finding.h"

#include <fmt/format.h>

#include <algorithm>

namespace tw {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

Finding not_checked(std::string id, std::string_view missing, std::vector<std::string> topics) {
  Finding f;
  f.id = std::move(id);
  f.severity = Severity::kInfo;
  f.checked = false;
  f.title = fmt::format("not checked: no {}", missing);
  f.topics = std::move(topics);
  return f;
}

Severity worst(const std::vector<Finding>& findings) {
  Severity w = Severity::kOk;
  for (auto& f : findings) w = std::max(w, f.severity);
  return w;
}

}  // namespace tw

namespace tw {

int exit_code_for(Severity w) {
  switch (w) {
    case Severity::kCritical:
      return kExitCritical;
    case Severity::kWarning:
      return kExitWarning;
    default:
      return 0;
  }
}

std::string in_namespace(std::string_view netns, std::string_view command) {
  if (netns.empty() || netns == "host") return std::string(command);
  if (netns.starts_with("pid:"))
    return fmt::format("nsenter -t {} -n {}", netns.substr(4), command);
  return fmt::format("ip netns exec {} {}", netns, command);
}

std::string sysctl_command(const SysctlSetting& s, std::string_view netns) {
  if (s.value.find_first_of(" \t,") != std::string::npos)
    return in_namespace(netns, fmt::format("sysctl -w {}=\"{}\"", s.name, s.value));
  return in_namespace(netns, fmt::format("sysctl -w {}={}", s.name, s.value));
}

}  // namespace tw
