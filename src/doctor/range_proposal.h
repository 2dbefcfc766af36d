// SPDX-License-Identifier: Apache-2.0
// A wider ephemeral port range, the one proposal the ephemeral-range, port-pressure and Windows
// dynamic-range findings share so that they never disagree: it keeps every port of today's range
// (never a narrower pool), has strictly more usable ports than today, and reserves every port a
// service listens on inside it in the same change.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "doctor/doctor_input.h"
#include "doctor/finding.h"

namespace tw {

struct RangeProposal {
  uint16_t low = 0, high = 0;  // the proposed range, inclusive
  int usable_now = 0, usable_after = 0;
  std::vector<uint16_t> reserved_listeners;  // listening ports inside it, reserved by the change
  bool listeners_known = false;              // sockets were read, so listeners are known
  // Safe for --apply: it restores the kernel's default range around a range inside it, and the
  // listeners are known. Anything wider is a person's decision (services not running now).
  bool apply = false;
  std::vector<SysctlSetting> sysctls;  // Linux: ip_local_port_range, ip_local_reserved_ports
  std::vector<std::string> commands;   // Windows: netsh
  // "32768-60999: 28,232 usable ports instead of 1,000"
  std::string summary() const;
};

// Nullopt when no wider range adds usable ports (the range is already wide, or reservations take
// it) or today's range is not known (Windows without --windows-dynamicport).
std::optional<RangeProposal> propose_wider_range(const DoctorInput& in);

// Under this many usable ports the ephemeral-range finding warns (Windows' default has 16,384).
inline constexpr int kSmallRange = 16384;

// The proposal the ephemeral-range finding makes (Linux, a pool under kSmallRange usable ports):
// what listener-in-range must agree with when it reserves ports in the same file.
std::optional<RangeProposal> small_range_fix(const DoctorInput& in);

// Ports with a LISTEN socket (sorted), from the by-local-port census; empty without sockets.
std::vector<uint16_t> listening_ports(const DoctorInput& in);

}  // namespace tw
