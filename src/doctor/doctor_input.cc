#include "doctor/doctor_input.h"

#include <fmt/format.h>

#include "census/report.h"

namespace tw {

int DoctorInput::time_wait_seconds(bool* assumed) const {
  if (assumed) *assumed = false;
  if (is_windows()) {
    auto it = facts.windows_params.find("TcpTimedWaitDelay");
    if (it != facts.windows_params.end() && it->second > 0) return static_cast<int>(it->second);
    if (assumed) *assumed = true;
    return 120;  // Server 2003 and later document 120 s (Windows 2000: 240 s); FACTS.md
  }
  return kLinuxTimeWaitSeconds;
}

std::optional<int64_t> DoctorInput::counter(const std::string& name) const {
  auto it = facts.counters.find(name);
  if (it == facts.counters.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> DoctorInput::counter_delta(const std::string& name) const {
  if (!earlier) return std::nullopt;
  auto now = facts.counters.find(name);
  auto then = earlier->counters.find(name);
  if (now == facts.counters.end() || then == earlier->counters.end()) return std::nullopt;
  return now->second - then->second;
}

std::optional<std::string> DoctorInput::counter_evidence(const std::string& name,
                                                         const std::string& label) const {
  auto v = counter(name);
  if (!v) return std::nullopt;
  const std::string& l = label.empty() ? name : label;
  auto d = counter_delta(name);
  return d ? fmt::format("{} = {} (+{} in {:.0f} s)", l, with_commas(*v), with_commas(*d),
                         interval_seconds)
           : fmt::format("{} = {}", l, with_commas(*v));
}

}  // namespace tw
