// SPDX-License-Identifier: Apache-2.0
// Building an ip_local_reserved_ports value: the existing list plus the ports to keep out of the
// ephemeral pool, in the kernel's own "8080,40000-40010" form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/port_range.h"
#include "sources/node_ports.h"

namespace tw {

// `existing` as /proc/sys prints it ("" for none); unparsable text is treated as empty.
std::string reserved_ports_with(std::string_view existing, const std::vector<uint16_t>& add);

// The NodePorts connect() can take from `pool` (sorted): the node's NodePort range and every
// NodePort with rules (a range changed after allocation leaves some outside it), where the pool
// holds them unreserved. node-port-range and listener-in-range reserve them in one value.
std::vector<uint16_t> node_ports_in_pool(const NodePorts& np, const PortPool& pool);

}  // namespace tw
