// SPDX-License-Identifier: Apache-2.0
// A Kubernetes node's NodePorts, as the node itself shows them: kube-proxy's rules (the iptables
// `KUBE-NODEPORTS` chain, or the nftables `kube-proxy` table's NodePort maps) and the range
// kube-apiserver allocates them from (`--service-node-port-range`, default 30000-32767), where the
// apiserver runs on the node. A NodePort inside the ephemeral range that is not reserved can be
// taken by connect() as a source port (kubernetes #111823). ../shared/FACTS.md, "Kubernetes nodes".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw {

struct NodePorts {
  bool kube_proxy = false;           // kube-proxy's NodePort chain or maps exist: a Kubernetes node
  std::vector<std::string> seen_in;  // where: "iptables", "nftables"
  std::vector<uint16_t> in_use;      // TCP NodePorts with rules now (health-check ports included)
  uint16_t low = 30000, high = 32767;  // the allocation range, inclusive
  bool range_assumed = true;           // the apiserver's flag was not seen: Kubernetes' default
  std::string range_source;            // where the range was read ("" when assumed)
};

// iptables-save text, or `iptables -t nat -S KUBE-NODEPORTS` (the same rule syntax): the TCP
// `--dport`s of `-A KUBE-NODEPORTS` rules, and the chain's existence. Other chains are ignored.
void add_iptables_node_ports(std::string_view text, NodePorts* out);
// `nft list ruleset` text (or `nft list map|chain …`): kube-proxy's nftables mode (table
// `kube-proxy`, maps `service-nodeports` and `no-endpoint-nodeports`, elements `tcp . PORT : …`)
// and iptables-nft's (chain `KUBE-NODEPORTS`, `tcp dport PORT`).
void add_nft_node_ports(std::string_view text, NodePorts* out);

// "30000-32767", "30000+2767" or "30000", as kube-apiserver accepts it (k8s.io/apimachinery
// util/net ParsePortRange); nullopt for anything else.
std::optional<std::pair<uint16_t, uint16_t>> parse_node_port_range(std::string_view text);
// The value of --service-node-port-range among a command line's arguments ("--flag=value" or
// "--flag value"), or nullopt.
std::optional<std::string> node_port_range_arg(const std::vector<std::string>& args);

// Where the live reader looks (node_exporter's --path.procfs idea: a container mounts the host's
// elsewhere).
struct NodePortPaths {
  std::string procfs = "/proc";
  std::string manifests = "/etc/kubernetes/manifests";  // kubeadm's static pods
};

// Reads the calling thread's namespace's rules (running `nft` and `iptables`/`ip6tables` where
// installed, each for at most a few seconds and a bounded output) and the apiserver's range (its
// process's command line, else its static pod manifest). nullopt when no kube-proxy rule exists.
std::optional<NodePorts> read_node_ports(const NodePortPaths& paths = {});

}  // namespace tw
