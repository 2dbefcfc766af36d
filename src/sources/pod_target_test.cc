// SPDX-License-Identifier: Apache-2.0
// --pod's resolution from a map of the node: the pod's own namespace and the process to enter,
// a hostNetwork pod, and errors that say what there is instead (bounded).
#include "sources/pod_target.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tw {
namespace {

std::string uid(int n) { return fmt::format("{:08x}-0000-4000-8000-000000000000", n); }

PodProcess proc(int pid, int pod) {
  return PodProcess{.pid = pid, .comm = "app", .pod = {.uid = uid(pod), .container_id = "c"}};
}

PodMap node() {
  PodMap m;
  m.by_netns[100] = {.inode = 100, .host = true, .processes = {proc(7, 3)}};
  m.by_netns[200] = {.inode = 200, .processes = {proc(21, 1), proc(20, 1)}};
  m.by_netns[300] = {.inode = 300, .processes = {proc(30, 2)}};
  m.names.by_uid[uid(1)] = {.namespace_name = "shop", .name = "cart"};
  m.names.by_uid[uid(2)] = {.namespace_name = "kube-system", .name = "coredns"};
  m.names.by_uid[uid(3)] = {.namespace_name = "monitoring", .name = "agent"};
  m.names.by_uid[uid(4)] = {.namespace_name = "shop", .name = "old"};  // no process
  return m;
}

TEST(ResolvePod, OwnNamespaceEntersItsLowestPid) {
  auto t = resolve_pod("shop/cart", node());
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->uid, uid(1));
  EXPECT_FALSE(t->host_network);
  EXPECT_EQ(t->netns_inode, 200u);
  EXPECT_EQ(t->pid, 20);
  ASSERT_EQ(t->processes.size(), 2u);
  EXPECT_EQ(t->processes[0].pid, 20);
  EXPECT_EQ(t->ref(), "shop/cart");
}

TEST(ResolvePod, HostNetworkPodIsTheHostsNamespace) {
  auto t = resolve_pod("monitoring/agent", node());
  ASSERT_TRUE(t) << t.error();
  EXPECT_TRUE(t->host_network);
  EXPECT_EQ(t->netns_inode, 100u);
  EXPECT_EQ(t->pid, 7);
}

TEST(ResolvePod, ErrorsSayWhatThereIs) {
  auto t = resolve_pod("shop/nope", node(), "/r/var/log/pods");
  ASSERT_FALSE(t);
  // The same namespace's pods first.
  EXPECT_EQ(t.error(),
            "no pod shop/nope on this node: 3 running pods found: --pod shop/cart, "
            "kube-system/coredns, monitoring/agent");
  t = resolve_pod("shop/old", node(), "/r/var/log/pods");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("shop/old has a directory in /r/var/log/pods but no running process"),
            std::string::npos)
      << t.error();
  EXPECT_FALSE(resolve_pod("shop", node()));
  EXPECT_FALSE(resolve_pod("Shop/cart", node()));
  EXPECT_FALSE(resolve_pod("shop/cart/x", node()));
  EXPECT_FALSE(resolve_pod("shop/\x1b[2J", node()));
  EXPECT_EQ(resolve_pod("shop/\x1b[2J", node()).error().find('\x1b'), std::string::npos);
}

TEST(ResolvePod, SuggestionsAreBoundedAndUnnamedPodsCounted) {
  PodMap m;
  for (int i = 0; i < 30; ++i) {
    m.by_netns[1000 + i] = {.inode = uint64_t(1000 + i), .processes = {proc(100 + i, 10 + i)}};
    if (i < 25)
      m.names.by_uid[uid(10 + i)] = {.namespace_name = "ns", .name = fmt::format("p{:02}", i)};
  }
  auto t = resolve_pod("ns/x", m, "/logs");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("25 running pods found: --pod ns/p00, ns/p01"), std::string::npos)
      << t.error();
  EXPECT_NE(t.error().find(
                fmt::format("ns/p{:02} and {} more", kPodSuggestions - 1, 25 - kPodSuggestions)),
            std::string::npos)
      << t.error();
  EXPECT_NE(t.error().find("; 5 more with processes but no directory in /logs"), std::string::npos)
      << t.error();
}

TEST(HostPaths, PodLogsUnderTheRootfs) {
  EXPECT_EQ(HostPaths{}.pods().pod_logs, "/var/log/pods");
  HostPaths p{.procfs = "/host/proc", .rootfs = "/host/"};
  EXPECT_EQ(p.pods().pod_logs, "/host/var/log/pods");
  EXPECT_EQ(p.pods().container_logs, "/host/var/log/containers");
  EXPECT_EQ(p.pods().procfs, "/host/proc");
}

}  // namespace
}  // namespace tw
