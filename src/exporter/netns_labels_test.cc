// SPDX-License-Identifier: Apache-2.0
// The `netns` value of each kind of namespace, names that would collide, pod labels only where
// one pod's namespace is named by kubelet's log directory, the node's paths, and reading a target
// entered through --path.rootfs (a real namespace, its real sockets) or failing in one sentence.
#include "exporter/netns_labels.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

const std::string kUid = "0125ec2f-b64a-4868-8f5b-94b56cbab864";

TEST(NetnsLabels, EachKindHasAValueNoRestartChanges) {
  const uint64_t host = 4026531840;
  EXPECT_EQ(stable_netns_label(NetnsRef{.pid = 1, .inode = host, .comm = "systemd"}, host), "host");
  EXPECT_EQ(stable_netns_label(NetnsRef{.inode = 7, .self = true}, host), "netns:7")
      << "the exporter's own namespace is not the host's when PID 1's differs";
  EXPECT_EQ(stable_netns_label(NetnsRef{.name = "cni-1d2f", .inode = 8}, host), "cni-1d2f");
  EXPECT_EQ(stable_netns_label(NetnsRef{.pid = 4242, .inode = 9, .comm = "pause"}, host),
            "netns:9");
  EXPECT_EQ(stable_netns_label(NetnsRef{.pid = 4343, .inode = 9, .comm = "pause"}, host), "netns:9")
      << "another process holding the same namespace";
  // The host's namespace unknown (PID 1's and kthreadd's unreadable): the exporter's own, as
  // before.
  EXPECT_EQ(stable_netns_label(NetnsRef{.inode = 7, .self = true}, 0), "host");
  // A target that cannot be read now keeps what the user gave.
  EXPECT_EQ(stable_netns_label(NetnsRef{.pid = 77}, host), "pid:77");
  EXPECT_EQ(stable_netns_label(NetnsRef{.name = "gone"}, host), "gone");
}

TEST(NetnsLabels, NoTwoNamespacesShareAValue) {
  const uint64_t host = 100;
  std::vector<NetnsRef> refs = {
      NetnsRef{.inode = 100, .self = true},
      NetnsRef{.name = "host", .inode = 5},     // named "host" by `ip netns add host`
      NetnsRef{.name = "netns:6", .inode = 7},  // a name spelt like another's inode value
      NetnsRef{.pid = 30, .inode = 6},
  };
  auto l = label_namespaces(refs, host, nullptr);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].netns, "host");
  EXPECT_EQ(l[1].netns, "netns:5");
  EXPECT_EQ(l[2].netns, "netns:7");
  EXPECT_EQ(l[3].netns, "netns:6");
  for (const auto& x : l) EXPECT_TRUE(x.pod.empty() && x.uid.empty());
}

TEST(NetnsLabels, PodLabelsOnlyForOnePodsNamedNamespace) {
  const uint64_t host = 100;
  PodMap pods;
  auto proc = [](int pid, const std::string& uid) {
    return PodProcess{.pid = pid, .comm = "pause", .pod = CgroupPod{.uid = uid}};
  };
  pods.by_netns[100] = NetnsPods{.inode = 100, .host = true, .processes = {proc(2, kUid)}};
  pods.by_netns[11] = NetnsPods{.inode = 11, .processes = {proc(10, kUid), proc(12, kUid)}};
  const std::string other = "8daa50c3a64c9ff60bb9eab7b44b56fd";
  pods.by_netns[21] = NetnsPods{.inode = 21, .processes = {proc(20, other)}};  // no log dir
  pods.by_netns[31] =
      NetnsPods{.inode = 31, .processes = {proc(30, kUid), proc(31, other)}};  // shared
  pods.names.by_uid[kUid] = PodName{.namespace_name = "shop", .name = "cart-7d9f-x2v"};
  std::vector<NetnsRef> refs = {NetnsRef{.pid = 1, .inode = 100}, NetnsRef{.pid = 10, .inode = 11},
                                NetnsRef{.name = "cni-x", .inode = 21},
                                NetnsRef{.pid = 30, .inode = 31}, NetnsRef{.pid = 40, .inode = 41}};
  auto l = label_namespaces(refs, host, &pods);
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0].netns, "host");
  EXPECT_TRUE(l[0].pod.empty()) << "a hostNetwork pod never names the node's namespace";
  EXPECT_EQ(l[1].netns, "netns:11");
  EXPECT_EQ(l[1].uid, kUid);
  EXPECT_EQ(l[1].namespace_name, "shop");
  EXPECT_EQ(l[1].pod, "cart-7d9f-x2v");
  EXPECT_EQ(l[2].netns, "cni-x") << "the value does not depend on the pod's name being known";
  EXPECT_EQ(l[2].uid, other);
  EXPECT_TRUE(l[2].pod.empty() && l[2].namespace_name.empty());
  EXPECT_TRUE(l[3].uid.empty() && l[3].pod.empty()) << "two pods' processes: no one pod's";
  EXPECT_TRUE(l[4].uid.empty() && l[4].pod.empty());
}

TEST(HostPaths, UnderTheRootAndItsPodPaths) {
  EXPECT_EQ(HostPaths{}.run_netns(), "/run/netns");
  EXPECT_EQ((HostPaths{.rootfs = "/host"}).run_netns(), "/host/run/netns");
  EXPECT_EQ((HostPaths{.rootfs = "/host///"}).run_netns(), "/host/run/netns");
  const PodPaths p = HostPaths{.procfs = "/host/proc", .rootfs = "/host/"}.pods();
  EXPECT_EQ(p.procfs, "/host/proc");
  EXPECT_EQ(p.pod_logs, "/host/var/log/pods");
  EXPECT_EQ(p.container_logs, "/host/var/log/containers");
}

// Runs `enter` on a thread of its own (it moves the calling thread): what it said, and the
// namespace the thread was in after (what a reader on it would read).
struct Entered {
  Result<uint64_t> inode;
  uint64_t at = 0;
};
Entered enter_on_thread(const NodeEnterFn& enter, const SampleTarget& target) {
  Entered e{fail("not run")};
  std::thread([&] {
    e.inode = enter(target);
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) == 0) e.at = st.st_ino;
  }).join();
  return e;
}

uint64_t own_netns() {
  struct stat st;
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

TEST(EnterUnder, EntersTargetsThroughTheRootAndProcfsGiven) {
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns ns;
  testing::TempDir root;
  std::filesystem::create_directories(root / "run/netns");
  std::filesystem::create_symlink("/run/netns/" + ns.name(), root / ("run/netns/" + ns.name()));
  struct stat st;
  ASSERT_EQ(stat(("/run/netns/" + ns.name()).c_str(), &st), 0);
  const NodeEnterFn enter = enter_under(HostPaths{.rootfs = root.path});
  Entered e = enter_on_thread(enter, SampleTarget{ns.name()});
  ASSERT_TRUE(e.inode) << e.inode.error();
  EXPECT_EQ(*e.inode, st.st_ino);
  EXPECT_EQ(e.at, st.st_ino);

  // The real reader in it, as the exporter reads (a node read entering through the paths): its
  // sockets, not the caller's.
  testing::Sockets socks;
  {
    testing::EnterNetns in(ns.name());
    uint16_t port = socks.listen("127.0.0.1");
    for (int i = 0; i < 3; ++i) socks.time_wait("127.0.0.1", port);
  }
  SamplerOptions o;
  o.node = true;
  o.enter = enter;
  Sampler sampler({SampleTarget{ns.name()}}, o);
  auto set = sampler.refresh();
  const Sample& r = *set->samples[0];
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.families.v4[state_index(TcpState::kTimeWait)], 3);
  EXPECT_EQ(r.target.label(), ns.name()) << "the sample keeps its target";

  // Not under the root given: one sentence naming the path, nothing entered.
  Entered missing = enter_on_thread(enter_under(HostPaths{.rootfs = "/nonexistent-root"}),
                                    SampleTarget{ns.name()});
  ASSERT_FALSE(missing.inode);
  EXPECT_NE(missing.inode.error().find("/nonexistent-root/run/netns/" + ns.name()),
            std::string::npos)
      << missing.inode.error();
  EXPECT_EQ(missing.at, own_netns());
  Entered bad_pid =
      enter_on_thread(enter_under(HostPaths{.procfs = "/nonexistent-proc"}), SampleTarget{"", 1});
  ASSERT_FALSE(bad_pid.inode);
  EXPECT_NE(bad_pid.inode.error().find("pid 1"), std::string::npos) << bad_pid.inode.error();
}

// A target whose namespace is not the one discovered (its pid reused by a process elsewhere) is
// not entered, so not read under the old namespace's label: it fails and says why; the one found
// is entered.
TEST(EnterUnder, ANamespaceOtherThanTheOneFoundIsNotEntered) {
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns a, b;
  struct stat sa, sb;
  ASSERT_EQ(stat(("/run/netns/" + a.name()).c_str(), &sa), 0);
  ASSERT_EQ(stat(("/run/netns/" + b.name()).c_str(), &sb), 0);
  auto found = std::make_shared<FoundInodes>();
  found->set({NetnsRef{.name = a.name(), .inode = sb.st_ino}});  // found as b, now a
  const NodeEnterFn enter = enter_under(HostPaths{}, found);
  Entered e = enter_on_thread(enter, SampleTarget{a.name()});
  ASSERT_FALSE(e.inode);
  EXPECT_NE(e.inode.error().find("no longer the one found"), std::string::npos) << e.inode.error();
  EXPECT_EQ(e.at, own_netns()) << "nothing was entered";

  found->set({NetnsRef{.name = a.name(), .inode = sa.st_ino}, NetnsRef{.pid = 1, .inode = 1}});
  EXPECT_EQ(found->of(SampleTarget{"", 1}), 1u);
  e = enter_on_thread(enter, SampleTarget{a.name()});
  ASSERT_TRUE(e.inode) << e.inode.error();
  EXPECT_EQ(e.at, sa.st_ino);
  EXPECT_EQ(found->of(SampleTarget{b.name()}), 0u) << "not found: read as it is";
}

}  // namespace
}  // namespace tw
