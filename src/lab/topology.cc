// SPDX-License-Identifier: Apache-2.0
#include "lab/topology.h"

#include <fmt/format.h>

#include <stdexcept>

namespace tw::lab {

Result<Topology> Topology::client_server() {
  Topology t;
  auto c = t.add_node("client");
  if (!c) return fail(c.error());
  auto s = t.add_node("server");
  if (!s) return fail(s.error());
  if (auto st = t.link(**c, **s, 1); !st) return fail(st.error());
  return t;
}

Result<Node*> Topology::add_node(const std::string& role) {
  auto ns = Netns::create(role);
  if (!ns) return fail(ns.error());
  auto node = std::make_unique<Node>();
  node->role = role;
  node->ns = std::move(*ns);
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

Status Topology::link(Node& a, Node& b, int subnet) {
  // Interface names are limited to 15 bytes.
  std::string a_dev = b.role.substr(0, 15), b_dev = a.role.substr(0, 15);
  std::string a_ip = fmt::format("10.77.{}.1", subnet), b_ip = fmt::format("10.77.{}.2", subnet);
  // The peer is created straight in b's namespace; the host never sees either end.
  if (auto st = a.ns->ip(fmt::format("link add name {} type veth peer name {} netns {}", a_dev,
                                     b_dev, b.ns->name()));
      !st)
    return st;
  if (auto st = a.ns->ip(fmt::format("addr add {}/24 dev {}", a_ip, a_dev)); !st) return st;
  if (auto st = b.ns->ip(fmt::format("addr add {}/24 dev {}", b_ip, b_dev)); !st) return st;
  if (auto st = a.ns->ip(fmt::format("link set {} up", a_dev)); !st) return st;
  if (auto st = b.ns->ip(fmt::format("link set {} up", b_dev)); !st) return st;
  a.addresses.push_back(a_ip);
  b.addresses.push_back(b_ip);
  return {};
}

Node& Topology::node(const std::string& role) {
  for (auto& n : nodes_)
    if (n->role == role) return *n;
  throw std::logic_error("no lab node " + role);  // a programming error, not a user error
}

const Node& Topology::node(const std::string& role) const {
  return const_cast<Topology*>(this)->node(role);
}

}  // namespace tw::lab
