// SPDX-License-Identifier: Apache-2.0
// `timewait doctor` on a Kubernetes node, as a user runs it: kube-proxy's nftables ruleset (its
// format, tests/fixtures/kube-proxy) loaded into a namespace made here, a wide ephemeral range
// set inside it, and the exact ip_local_reserved_ports the finding asks for, which --apply writes
// into that namespace's /proc/sys. A namespace without kube-proxy's rules gets no such finding.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_tool.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;
using testing::ScopedNetns;

json node_port_finding(const std::string& ns, int* code) {
  auto r = run_tool("doctor --json --netns " + ns);
  *code = r.code;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  if (j.is_discarded()) return nullptr;
  for (auto& f : j["findings"])
    if (f["id"] == "node-port-range") return f;
  return nullptr;
}

TEST(DoctorNodePortCli, KubeProxyRulesAndAWideRangeAskForTheReservation) {
  ScopedNetns::remove_stale("twnode");
  ScopedNetns ns("twnode");
  ASSERT_EQ(ns.exec(std::string("nft -f ") + FIXTURES_DIR + "/kube-proxy/nft-ruleset.txt"), 0);
  ns.set_sysctl("net.ipv4.ip_local_port_range", "1024 65535");
  ns.set_sysctl("net.ipv4.ip_local_reserved_ports", "8080");
  int code = -1;
  json f = node_port_finding(ns.name(), &code);
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(code, 3);  // a warning
  EXPECT_EQ(f["severity"], "warning");
  EXPECT_EQ(f["data"]["node_ports_in_use"], 3);
  EXPECT_EQ(f["data"]["in_use_unreserved"], json::array({30080, 31999, 32100}));
  bool asked = false;
  for (auto& s : f["fix"]["sysctls"])
    asked |= s["name"] == "net.ipv4.ip_local_reserved_ports" && s["value"] == "8080,30000-32767";
  EXPECT_TRUE(asked) << f.dump(1);

  testing::TempDir root;  // --apply's backup and sysctl.d file, never the machine's
  auto applied = run_tool("doctor --apply --yes --root " + root.path + " --netns " + ns.name());
  EXPECT_EQ(testing::run_output("ip netns exec " + ns.name() +
                                " cat /proc/sys/net/ipv4/ip_local_reserved_ports"),
            "8080,30000-32767\n")
      << applied.out << applied.err;
  f = node_port_finding(ns.name(), &code);
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(f["severity"], "ok") << f.dump(1);
}

TEST(DoctorNodePortCli, NoKubeProxyNoFinding) {
  ScopedNetns ns("twnode");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "1024 65535");
  int code = -1;
  EXPECT_TRUE(node_port_finding(ns.name(), &code).is_null());
}

}  // namespace
}  // namespace tw
