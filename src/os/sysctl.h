// SPDX-License-Identifier: Apache-2.0
// The one reader and writer of kernel settings through /proc/sys. Both act on the network
// namespace of the calling thread (net.* settings are per namespace; os/netns runs them inside
// another one).
#pragma once

#include <string>
#include <string_view>

#include "model/result.h"

namespace tw::os {

// "net.ipv4.tcp_tw_reuse" -> "/proc/sys/net/ipv4/tcp_tw_reuse".
std::string sysctl_path(std::string_view dotted);

// The value as the kernel prints it, without its trailing newline (fields keep their tabs:
// "32768\t60999"). Fails with "cannot read /proc/sys/...: <strerror>".
Result<std::string> read_sysctl(const std::string& dotted);

// Writes "value\n" in one write(), as sysctl(8) does. Fails with "cannot open /proc/sys/... to
// write: <strerror>" (" (run as root)" when refused) or "the kernel refused NAME = VALUE: ...".
Status write_sysctl(const std::string& dotted, const std::string& value);

}  // namespace tw::os
