// SPDX-License-Identifier: Apache-2.0
#include "doctor/finding.h"

#include <fmt/format.h>

#include <algorithm>

#include "model/safe_text.h"

namespace tw {

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

// Names come from the command line, a snapshot or a dump: each is quoted as one shell word, so
// the command a person pastes runs in the namespace named `web; touch /tmp/x`, not `touch`.
std::string in_namespace(std::string_view netns, std::string_view command) {
  if (netns.empty() || netns == "host") return std::string(command);
  if (netns.starts_with("pid:"))
    return fmt::format("nsenter -t {} -n {}", shell_quote(netns.substr(4)), command);
  return fmt::format("ip netns exec {} {}", shell_quote(netns), command);
}

std::string sysctl_command(const SysctlSetting& s, std::string_view netns) {
  const std::string setting = s.name + "=" + s.value;
  // A list of numbers ("32768 60999") keeps the double quotes sysctl's own documentation uses.
  if (shell_quote(s.name) == s.name && !s.value.empty() &&
      s.value.find_first_not_of("0123456789 \t,") == std::string::npos &&
      s.value.find_first_of(" \t,") != std::string::npos)
    return in_namespace(netns, fmt::format("sysctl -w {}=\"{}\"", s.name, s.value));
  return in_namespace(netns, "sysctl -w " + shell_quote(setting));
}

}  // namespace tw
