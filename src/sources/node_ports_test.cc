// SPDX-License-Identifier: Apache-2.0
// NodePorts from kube-proxy's rules: iptables-save text in kube-proxy's format (1.22's and
// today's), `nft list ruleset` of its nftables mode, and on the real kernel: that ruleset loaded
// with nft into a namespace made for the test, iptables-nft's chain likewise, a namespace with
// no kube-proxy rule, and the apiserver's range from a real process's command line.
#include "sources/node_ports.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

std::string fixture(const std::string& name) {
  return std::string(TIMEWAIT_SOURCE_DIR) + "/tests/fixtures/kube-proxy/" + name;
}

using Ports = std::vector<uint16_t>;

TEST(NodePorts, IptablesSaveOfKubeProxy) {
  NodePorts np;
  add_iptables_node_ports(testing::read_text(fixture("iptables-save.txt")), &np);
  EXPECT_TRUE(np.kube_proxy);
  EXPECT_EQ(np.seen_in, std::vector<std::string>{"iptables"});
  // TCP only (30053 is a UDP NodePort: no TCP source port collides with it); the filter table's
  // health-check port is one too.
  EXPECT_EQ(np.in_use, (Ports{30080, 31500, 32100}));

  NodePorts old;
  add_iptables_node_ports(testing::read_text(fixture("iptables-save-1.22.txt")), &old);
  EXPECT_EQ(old.in_use, (Ports{30080}));
}

TEST(NodePorts, IptablesCommentsAndOtherChainsDoNotCount) {
  NodePorts np;
  add_iptables_node_ports(
      "-A KUBE-SERVICES -m tcp -p tcp -d 10.96.0.1 --dport 443 -j KUBE-SVC-X\n"
      "-A KUBE-NODEPORTS -m comment --comment \"a/b:c --dport 1\" -m tcp -p tcp --dport 30001 "
      "-j KUBE-EXT-X\n"
      "-A KUBE-NODEPORTS -m tcp -p tcp --dport 99999 -j KUBE-EXT-X\n",
      &np);
  EXPECT_EQ(np.in_use, (Ports{30001}));
  NodePorts none;
  add_iptables_node_ports("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DOCKER\nCOMMIT\n",
                          &none);
  EXPECT_FALSE(none.kube_proxy);
}

TEST(NodePorts, NftRulesetOfKubeProxy) {
  NodePorts np;
  add_nft_node_ports(testing::read_text(fixture("nft-ruleset.txt")), &np);
  EXPECT_TRUE(np.kube_proxy);
  EXPECT_EQ(np.seen_in, std::vector<std::string>{"nftables"});
  // service-nodeports' TCP elements and no-endpoint-nodeports'; not the filter table's 30999,
  // not service-ips' port 80.
  EXPECT_EQ(np.in_use, (Ports{30080, 31999, 32100}));
  NodePorts none;
  add_nft_node_ports("table ip filter {\n\tchain INPUT {\n\t\ttcp dport 30999 accept\n\t}\n}\n",
                     &none);
  EXPECT_FALSE(none.kube_proxy);
  EXPECT_TRUE(none.in_use.empty());
}

TEST(NodePorts, RangeAsTheApiserverTakesIt) {
  using R = std::pair<uint16_t, uint16_t>;
  EXPECT_EQ(parse_node_port_range("30000-32767"), (R{30000, 32767}));
  EXPECT_EQ(parse_node_port_range("20000+2767"), (R{20000, 22767}));
  EXPECT_EQ(parse_node_port_range("30000"), (R{30000, 30000}));
  for (const char* bad :
       {"", "-", "32767-30000", "0-10", "30000-70000", "a-b", "30000+40000", "30000-32767x"})
    EXPECT_FALSE(parse_node_port_range(bad)) << bad;
  EXPECT_EQ(node_port_range_arg({"kube-apiserver", "--service-node-port-range=1-2"}), "1-2");
  EXPECT_EQ(node_port_range_arg({"kube-apiserver", "--service-node-port-range", "3-4"}), "3-4");
  EXPECT_FALSE(node_port_range_arg({"kube-apiserver", "--secure-port=6443"}));
}

// read_node_ports() reads the calling thread's namespace: each case runs on a thread inside one.
std::optional<NodePorts> read_in(const testing::ScopedNetns& ns, const NodePortPaths& paths = {}) {
  std::optional<NodePorts> out;
  std::thread([&] {
    testing::EnterNetns in(ns.name());
    out = read_node_ports(paths);
  }).join();
  return out;
}

TEST(NodePorts, LiveNftablesModeInANamespace) {
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns ns;
  ASSERT_EQ(ns.exec("nft -f " + fixture("nft-ruleset.txt")), 0);
  testing::TempDir empty;
  auto np = read_in(ns, {.procfs = empty.path, .manifests = empty.path});
  ASSERT_TRUE(np);
  EXPECT_EQ(np->in_use, (Ports{30080, 31999, 32100}));
  EXPECT_EQ(np->seen_in, std::vector<std::string>{"nftables"});
  EXPECT_TRUE(np->range_assumed);
  EXPECT_EQ(np->low, 30000);
  EXPECT_EQ(np->high, 32767);
}

TEST(NodePorts, LiveIptablesNftChainInANamespace) {
  testing::ScopedNetns ns;
  // As iptables-nft writes kube-proxy's chain (nft shows it with `tcp dport`).
  testing::TempDir t;
  std::ofstream(t / "rules.nft") << "table ip nat {\n"
                                    "  chain KUBE-EXT-X {\n  }\n"
                                    "  chain KUBE-NODEPORTS {\n"
                                    "    meta l4proto tcp tcp dport 30080 counter jump KUBE-EXT-X\n"
                                    "    meta l4proto udp udp dport 30053 counter jump KUBE-EXT-X\n"
                                    "  }\n}\n";
  ASSERT_EQ(ns.exec("nft -f " + (t / "rules.nft")), 0);
  testing::TempDir empty;
  auto np = read_in(ns, {.procfs = empty.path, .manifests = empty.path});
  ASSERT_TRUE(np);
  EXPECT_EQ(np->in_use, (Ports{30080}));
}

TEST(NodePorts, LiveNamespaceWithoutKubeProxyIsNotANode) {
  testing::ScopedNetns ns;
  testing::TempDir t;
  std::ofstream(t / "rules.nft") << "table ip filter {\n  chain INPUT {\n"
                                    "    type filter hook input priority 0; policy accept;\n"
                                    "    tcp dport 30080 accept\n  }\n}\n";
  ASSERT_EQ(ns.exec("nft -f " + (t / "rules.nft")), 0);
  EXPECT_FALSE(read_in(ns));
}

TEST(NodePorts, RangeFromTheApiserversProcessThenItsManifest) {
  testing::ScopedNetns ns;
  ASSERT_EQ(ns.exec("nft -f " + fixture("nft-ruleset.txt")), 0);
  // A real process named kube-apiserver (a copy of sh; comm comes from the file name) with the
  // flag on its command line. "; true" keeps sh from exec'ing sleep in its place.
  testing::TempDir t;
  std::filesystem::copy_file("/bin/sh", t / "kube-apiserver");
  std::filesystem::permissions(t / "kube-apiserver", std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);  // its sleep goes with it (the group is killed)
    std::string path = t / "kube-apiserver";
    execl(path.c_str(), "kube-apiserver", "-c", "sleep 30; true", "kube-apiserver",
          "--secure-port=6443", "--service-node-port-range=20000-22767", nullptr);
    _exit(1);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{pid};
  for (int i = 0;
       i < 500 && testing::read_text(fmt::format("/proc/{}/comm", pid)) != "kube-apiserver\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto np = read_in(ns, {.procfs = "/proc", .manifests = t.path});
  ASSERT_TRUE(np);
  EXPECT_FALSE(np->range_assumed);
  EXPECT_EQ(np->low, 20000);
  EXPECT_EQ(np->high, 22767);
  EXPECT_EQ(np->range_source, fmt::format("kube-apiserver (pid {})", pid));

  // Without the process: kubeadm's static pod manifest.
  testing::TempDir noproc;
  std::ofstream(t / "kube-apiserver.yaml") << "spec:\n  containers:\n  - command:\n"
                                              "    - kube-apiserver\n"
                                              "    - --service-node-port-range=25000-27000\n";
  np = read_in(ns, {.procfs = noproc.path, .manifests = t.path});
  ASSERT_TRUE(np);
  EXPECT_EQ(np->low, 25000);
  EXPECT_EQ(np->high, 27000);
  EXPECT_EQ(np->range_source, t / "kube-apiserver.yaml");
}

}  // namespace
}  // namespace tw
