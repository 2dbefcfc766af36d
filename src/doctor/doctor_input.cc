// SPDX-License-Identifier: Apache-2.0
#include "doctor/doctor_input.h"

#include <fmt/format.h>

#include "doctor/finding.h"
#include "model/format.h"

namespace tw {

int DoctorInput::time_wait_seconds(bool* assumed) const {
  ForecastPolicy p = policy();
  if (assumed) *assumed = p.time_wait_assumed;
  return p.time_wait_seconds;
}

std::string DoctorInput::here(std::string_view command) const {
  return in_namespace(facts.netns, command);
}

std::string_view DoctorInput::counters_since() const {
  return facts.netns.empty() || facts.netns == "host" ? "since boot"
                                                      : "since the namespace was made";
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
