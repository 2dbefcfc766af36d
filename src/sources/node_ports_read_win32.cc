// SPDX-License-Identifier: Apache-2.0
// Windows nodes run kube-proxy's kernelspace (HNS) mode: no iptables or nftables rules to read.
#include "sources/node_ports.h"

namespace tw {

std::optional<NodePorts> read_node_ports(const NodePortPaths&) { return std::nullopt; }

}  // namespace tw
