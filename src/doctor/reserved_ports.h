// SPDX-License-Identifier: Apache-2.0
// Building an ip_local_reserved_ports value: the existing list plus the ports to keep out of the
// ephemeral pool, in the kernel's own "8080,40000-40010" form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tw {

// `existing` as /proc/sys prints it ("" for none); unparsable text is treated as empty.
std::string reserved_ports_with(std::string_view existing, const std::vector<uint16_t>& add);

}  // namespace tw
