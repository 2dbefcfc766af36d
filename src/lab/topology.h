// SPDX-License-Identifier: Apache-2.0
// The lab's private network: network namespaces (nodes) joined by veth pairs (links), each link a
// /24 of 10.77.0.0/16. Part 1 uses two nodes, client and server; a middle node (a NAT or a load
// balancer) is one more add_node() and two link() calls. The veth ends live only inside the lab's
// namespaces, so the host's interfaces are never touched, and deleting the namespaces removes them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct Node {
  std::string role;  // "client", "server", ...
  std::unique_ptr<Netns> ns;
  std::vector<std::string> addresses;  // IPv4, one per link, in link order
};

class Topology {
 public:
  // client 10.77.1.1 <-> server 10.77.1.2 on one veth pair.
  static Result<Topology> client_server();

  Result<Node*> add_node(const std::string& role);
  // A veth pair between a and b on 10.77.<subnet>.0/24: a gets .1, b gets .2. Each end is named
  // after the node it leads to ("server" inside the client namespace).
  Status link(Node& a, Node& b, int subnet);

  Node& node(const std::string& role);
  const Node& node(const std::string& role) const;
  const Netns& client() const { return *node("client").ns; }
  const Netns& server() const { return *node("server").ns; }
  const std::string& client_addr() const { return node("client").addresses.at(0); }
  const std::string& server_addr() const { return node("server").addresses.at(0); }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace tw::lab
