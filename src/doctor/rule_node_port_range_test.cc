// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

NodePorts node(std::vector<uint16_t> in_use = {30080}) {
  NodePorts np;
  np.kube_proxy = true;
  np.seen_in = {"nftables"};
  np.in_use = std::move(in_use);
  return np;
}

TEST(RuleNodePortRange, WideEphemeralRangeWarnsAndReservesTheWholeRange) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "1024 65535");
  b.set("net.ipv4.ip_local_reserved_ports", "8080,30500");
  DoctorInput in = b.build();
  in.node_ports = node();
  auto f = rule_node_port_range(in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "node-port-range");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  // 2,768 ports in the range, one of them reserved already.
  EXPECT_NE(f[0].title.find("2767 ports of the NodePort range 30000-32767 are inside the "
                            "ephemeral range 1024-65535 unreserved"),
            std::string::npos)
      << f[0].title;
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "8080,30000-32767"));
  EXPECT_EQ(to_json(f[0].data)["in_use_unreserved"], nlohmann::json::array({30080}));
  EXPECT_NE(f[0].why.find("kube-proxy"), std::string::npos);
  ASSERT_FALSE(f[0].dont.empty());
}

TEST(RuleNodePortRange, DefaultRangesDoNotOverlap) {
  InputBuilder b;  // 32768-60999
  DoctorInput in = b.build();
  in.node_ports = node();
  auto f = rule_node_port_range(in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].title.find("outside the ephemeral range 32768-60999"), std::string::npos);
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleNodePortRange, ReservedOverlapIsOk) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "10000 65000");
  b.set("net.ipv4.ip_local_reserved_ports", "30000-32767");
  DoctorInput in = b.build();
  in.node_ports = node();
  auto f = rule_node_port_range(in);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].title.find("reserved"), std::string::npos) << f[0].title;
}

TEST(RuleNodePortRange, NodePortsOutsideAChangedRangeAndTheApiserversRange) {
  InputBuilder b;  // 32768-60999
  DoctorInput in = b.build();
  NodePorts np = node({30080, 40000});
  np.range_assumed = false;
  np.range_source = "kube-apiserver (pid 812)";
  np.low = 30000;
  np.high = 32767;
  in.node_ports = np;
  auto f = rule_node_port_range(in);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "40000"));
  bool said = false;
  for (auto& e : f[0].evidence) said |= e.find("outside that range") != std::string::npos;
  EXPECT_TRUE(said);
  // A range the apiserver was given that reaches into the pool.
  np.in_use = {};
  np.low = 32000;
  np.high = 33000;
  in.node_ports = np;
  f = rule_node_port_range(in);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "32768-33000"));
  EXPECT_NE(f[0].evidence[0].find("from kube-apiserver (pid 812)"), std::string::npos);
}

TEST(RuleNodePortRange, AgreesWithListenerInRangeOnOneValue) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "1024 65535");
  b.add(sock(TcpState::kListen, "0.0.0.0:40000", "0.0.0.0:0"));
  DoctorInput in = b.build();
  in.node_ports = node();
  auto nodeport = rule_node_port_range(in);
  auto listener = rule_listener_in_range(in);
  ASSERT_EQ(listener[0].severity, Severity::kWarning);
  EXPECT_TRUE(
      testing::has_sysctl(nodeport[0], "net.ipv4.ip_local_reserved_ports", "30000-32767,40000"));
  EXPECT_TRUE(
      testing::has_sysctl(listener[0], "net.ipv4.ip_local_reserved_ports", "30000-32767,40000"));
}

TEST(RuleNodePortRange, NotANodeSaysNothingAndNoRangeIsNotChecked) {
  InputBuilder b;
  EXPECT_TRUE(rule_node_port_range(b.build()).empty());
  InputBuilder nopool;
  nopool.facts.sysctls.erase("net.ipv4.ip_local_port_range");
  DoctorInput in = nopool.build();
  in.node_ports = node();
  in.pool.reset();
  auto f = rule_node_port_range(in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].checked);
}

}  // namespace
}  // namespace tw
