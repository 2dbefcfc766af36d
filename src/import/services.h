// SPDX-License-Identifier: Apache-2.0
// Service names to TCP ports, for dumps captured without -n (`netstat`, `ss -a`, Windows
// `netstat -a`), which print "localhost:smtp" and "[::]:ssh". The tool that printed the name
// looked the port up in its machine's services list; the inverse is read from this machine's
// /etc/services, with a built-in table of the common names for a machine without one (no
// netbase in a container), so the common names read the same everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tw {

// The TCP port of a service name or alias; nullopt when the name is unknown or ambiguous (two
// entries give it different ports). `services_path` is for tests; the table of a path is read
// once and kept.
std::optional<uint16_t> service_port(std::string_view name,
                                     const std::string& services_path = "/etc/services");

}  // namespace tw
