// SPDX-License-Identifier: Apache-2.0
// Pods from the node alone: cgroup paths in kubelet's layouts (both drivers, each runtime, v1 and
// v2 lines as the kernel prints them), /var/log/pods as kubelet writes it (and hostile entries
// beside it), and on the real kernel: processes in real network namespaces moved into real cgroups
// at kubelet's paths, a hostNetwork pod's process in the host's namespace, CRI-O's conmon beside
// its pod, and a namespace no pod holds.
#include "sources/pods.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sources/netns.h"
#include "testing/kubelet_cgroups.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

const std::string kUid = "0125ec2f-b64a-4868-8f5b-94b56cbab864";
const std::string kUidSystemd = "0125ec2f_b64a_4868_8f5b_94b56cbab864";
const std::string kId = "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459";

TEST(PodOfCgroupPath, SystemdDriverEachQosAndRuntime) {
  auto p = pod_of_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                              kUidSystemd + ".slice/cri-containerd-" + kId + ".scope");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uid, kUid);
  EXPECT_EQ(p->qos, "burstable");
  EXPECT_EQ(p->runtime, "containerd");
  EXPECT_EQ(p->container_id, kId);

  p = pod_of_cgroup_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                         kUidSystemd + ".slice/crio-" + kId + ".scope");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "besteffort");
  EXPECT_EQ(p->runtime, "crio");

  // Guaranteed pods have no QoS level.
  p = pod_of_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/docker-" + kId +
                         ".scope");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "guaranteed");
  EXPECT_EQ(p->runtime, "docker");
  EXPECT_EQ(p->uid, kUid);
}

TEST(PodOfCgroupPath, CgroupfsDriver) {
  auto p = pod_of_cgroup_path("/kubepods/burstable/pod" + kUid + "/" + kId);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "burstable");
  EXPECT_EQ(p->runtime, "");  // containerd and docker name the directory by the bare ID
  EXPECT_EQ(p->container_id, kId);
  p = pod_of_cgroup_path("/kubepods/pod" + kUid + "/crio-" + kId);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "guaranteed");
  EXPECT_EQ(p->runtime, "crio");
  p = pod_of_cgroup_path("/kubepods/besteffort/pod" + kUid + "/" + kId);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "besteffort");
}

TEST(PodOfCgroupPath, NestedPrefixesStaticPodsAndSubCgroups) {
  // kind: kubelet's cgroup root is /kubelet, so every slice name starts "kubelet-"
  // (containerd/nri#227).
  auto p = pod_of_cgroup_path(
      "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/"
      "cri-containerd-d7dfb4a21fe1703a8537e60d5af248af729315d187b24a538102d14874c8117d.scope");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uid, "1e597579-417e-482f-bf65-5fe170c3aebd");
  EXPECT_EQ(p->qos, "besteffort");
  // A static pod's UID is its manifest's MD5: 32 hex characters, no dashes.
  p = pod_of_cgroup_path(
      "/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/cri-containerd-" +
      kId + ".scope");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uid, "8daa50c3a64c9ff60bb9eab7b44b56fd");
  // crun on cgroup v2 puts the container's processes one level down.
  p = pod_of_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/crio-" + kId +
                         ".scope/container");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->container_id, kId);
  // runc's systemd cgroupsPath made as a literal directory (containerd's SystemdCgroup=true with
  // cgroupfs: open-telemetry/opentelemetry-java#4507).
  p = pod_of_cgroup_path("/system.slice/containerd.service/kubepods-besteffort-pod" + kUidSystemd +
                         ".slice:cri-containerd:" + kId);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uid, kUid);
  EXPECT_EQ(p->runtime, "containerd");
  EXPECT_EQ(p->container_id, kId);
}

TEST(PodOfCgroupPath, NothingIsInventedForOtherPaths) {
  for (std::string path : {
           std::string("/"),
           std::string("/system.slice/containerd.service"),
           std::string("/user.slice/user-0.slice/session-1.scope"),
           std::string("/kubepods.slice"),
           std::string("/kubepods.slice/kubepods-burstable.slice"),
           // the pod's own cgroup: no container
           "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
               ".slice",
           // CRI-O's monitor: in the pod's cgroup, the host's namespace, no container
           "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
               ".slice/crio-conmon-" + kId + ".scope",
           "/kubepods/burstable/pod" + kUid + "/crio-conmon-" + kId,
           // not kubelet's: no kubepods above the pod, a bad UID, a short ID, an unknown runtime
           "/docker/pod" + kUid + "/" + kId,
           "/kubepods/burstable/pod" + kUid.substr(1) + "/" + kId,
           "/kubepods/burstable/podZZ25ec2f-b64a-4868-8f5b-94b56cbab864/" + kId,
           "/kubepods/burstable/pod" + kUid + "/" + kId.substr(2),
           "/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/lxc-" + kId + ".scope",
           "/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kId,
       }) {
    EXPECT_FALSE(pod_of_cgroup_path(path)) << path;
  }
}

TEST(PodOfProcCgroup, V1LinesV2LineAndHybrid) {
  // cgroup v1 with the systemd driver and docker, as /proc/PID/cgroup prints it (lxc/lxc#3890).
  std::string scope = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                      kUidSystemd + ".slice/docker-" + kId + ".scope";
  std::string v1 = "12:rdma:/\n11:freezer:" + scope + "\n10:pids:" + scope + "\n9:blkio:" + scope +
                   "\n1:name=systemd:" + scope + "\n";
  auto p = pod_of_proc_cgroup(v1);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->runtime, "docker");
  EXPECT_EQ(p->uid, kUid);
  // cgroup v2: one line.
  p = pod_of_proc_cgroup("0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qos, "besteffort");
  // Hybrid: the v2 line wins over the v1 ones; a v1 line maps when the v2 line does not.
  std::string other = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
  p = pod_of_proc_cgroup("4:memory:/kubepods/pod" + kUid + "/" + other + "\n0::/kubepods/pod" +
                         kUid + "/" + kId + "\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->container_id, kId);
  p = pod_of_proc_cgroup("4:memory:/kubepods/pod" + kUid + "/" + other + "\n0::/\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->container_id, other);
  EXPECT_FALSE(pod_of_proc_cgroup("0::/\n1:name=systemd:/init.scope\n"));
  EXPECT_FALSE(pod_of_proc_cgroup(""));
  EXPECT_FALSE(pod_of_proc_cgroup("garbage without colons\n\n::\n"));
}

void mkdirs(const std::string& path) { fs::create_directories(path); }

TEST(ReadPodNames, KubeletsLayoutAndHostileEntries) {
  testing::TempDir t;
  mkdirs(t / ("shop_cart-7d9f-x2v_" + kUid + "/cart"));
  mkdirs(t / ("shop_cart-7d9f-x2v_" + kUid + "/istio-proxy"));
  std::ofstream(t / ("shop_cart-7d9f-x2v_" + kUid + "/cart/0.log")) << "log\n";
  mkdirs(t / "kube-system_kube-apiserver-node1.example_8daa50c3a64c9ff60bb9eab7b44b56fd/x");
  // Hostile or stray: a terminal escape, an extra '_', upper case, a bad UID, a file, a symlink.
  mkdirs(t / ("evil\x1b]0;pwn\x07_p_" + kUid.substr(0, 35) + "1"));
  mkdirs(t / ("a_b_c_" + kUid));
  mkdirs(t / ("Shop_cart_" + kUid.substr(0, 35) + "2"));
  mkdirs(t / "shop_cart_not-a-uid");
  std::ofstream(t / ("shop_file_" + kUid.substr(0, 35) + "3")) << "";
  fs::create_directory_symlink(t.path, t / ("shop_link_" + kUid.substr(0, 35) + "4"));
  mkdirs(t / ("shop_cart-7d9f-x2v_" + kUid + "/BAD\x1b[2J"));  // a container name no API allows

  auto names = read_pod_names(t.path);
  ASSERT_EQ(names.by_uid.size(), 2u);
  const auto& cart = names.by_uid.at(kUid);
  EXPECT_EQ(cart.namespace_name, "shop");
  EXPECT_EQ(cart.name, "cart-7d9f-x2v");
  EXPECT_EQ(cart.containers, (std::vector<std::string>{"cart", "istio-proxy"}));
  const auto& api = names.by_uid.at("8daa50c3a64c9ff60bb9eab7b44b56fd");
  EXPECT_EQ(api.name, "kube-apiserver-node1.example");
  EXPECT_EQ(names.skipped, 6u);
  EXPECT_TRUE(read_pod_names(t / "missing").by_uid.empty());
}

TEST(ReadContainerNames, KubeletsLinksAndHostileOnes) {
  testing::TempDir t;
  auto link = [&](const std::string& name) {
    fs::create_symlink("/var/log/pods/x/0.log", t / name);
  };
  link("cart-7d9f-x2v_shop_cart-" + kId + ".log");
  link("cart-7d9f-x2v_shop_istio-proxy-" + std::string(64, 'a') + ".log");
  link("evil\x1b[2J_shop_cart-" + std::string(64, 'b') + ".log");  // not a DNS name
  link("a_b_c_d-" + std::string(64, 'c') + ".log");                // one '_' too many
  link("cart_shop_cart-" + std::string(63, 'd') + ".log");         // a short ID
  link("cart_shop_cart-" + std::string(64, 'e') + ".txt");
  auto names = read_container_names(t.path);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names.at(kId), "cart");
  EXPECT_EQ(names.at(std::string(64, 'a')), "istio-proxy");
  EXPECT_TRUE(read_container_names(t / "missing").empty());
}

// --- the real kernel: real processes in real cgroups at kubelet's paths ---

using testing::cgroup1_root;
using testing::cgroup2_root;
using testing::CgroupDirs;
using testing::systemd_uid;

// `sleep` in a named namespace (or the caller's), killed and reaped at the end.
class Sleeper {
 public:
  explicit Sleeper(const std::string& netns = "") {
    pid_ = fork();
    if (pid_ == 0) {
      if (!netns.empty()) {
        int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(1);
      }
      execl("/bin/sleep", "sleep", "60", nullptr);  // bounded: killed by the destructor
      _exit(1);
    }
    // Ready once it runs sleep (so it has entered the namespace).
    for (int i = 0; i < 500 && testing::read_text(fmt::format("/proc/{}/comm", pid_)) != "sleep\n";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Sleeper() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;
  int pid() const { return pid_; }
  void move_to(const std::string& cgroup) const { testing::move_into_cgroup(cgroup, pid_); }

 private:
  pid_t pid_ = -1;
};

uint64_t inode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// This suite's test pods ("7e57": its killed runs' leftovers are found again by it, never
// another suite's).
constexpr std::string_view kMark = "7e57";
std::string uid_for(int n) { return testing::pod_uid(kMark, n); }
std::string id_for(int n) { return testing::container_id(n); }

// A killed run's cgroups: its pods' (deepest first) and its own top directory.
void remove_stale_cgroups(const std::string& root) {
  if (root.empty()) return;
  testing::remove_stale_pod_cgroups(root, kMark);
  std::error_code ec;
  for (auto& e : fs::directory_iterator(root, ec))
    if (e.path().filename().string().starts_with("twtest-pods-")) {
      for (auto& c : fs::directory_iterator(e.path(), ec)) rmdir(c.path().c_str());
      rmdir(e.path().c_str());
    }
}

TEST(MapPods, RealProcessesInRealCgroupsAndNamespaces) {
  remove_stale_cgroups(cgroup2_root());
  remove_stale_cgroups(cgroup1_root());
  std::string v2 = cgroup2_root();
  ASSERT_FALSE(v2.empty()) << "no cgroup v2 hierarchy mounted";
  std::string v1 = cgroup1_root();
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns ns_a("twtest"), ns_b("twtest"), ns_d("twtest");
  testing::TempDir logs;
  CgroupDirs dirs;  // declared before the sleepers: removed after they are reaped

  // Pod A: systemd driver, containerd, Burstable, its own namespace (sandbox + app container).
  std::string a = uid_for(1);
  std::string a_slice =
      "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + systemd_uid(a) + ".slice";
  std::string a_sandbox = dirs.make(v2, a_slice + "/cri-containerd-" + id_for(1) + ".scope");
  std::string a_app = dirs.make(v2, a_slice + "/cri-containerd-" + id_for(2) + ".scope");
  // Pod B: cgroupfs driver, CRI-O, Guaranteed, its own namespace; its conmon in the host's.
  std::string b = uid_for(2);
  std::string b_ctr = dirs.make(v2, "kubepods/pod" + b + "/crio-" + id_for(3));
  std::string b_conmon = dirs.make(v2, "kubepods/pod" + b + "/crio-conmon-" + id_for(3));
  // Pod C: hostNetwork, docker, BestEffort, systemd driver: on a v1 hierarchy where there is one.
  std::string c = uid_for(3);
  std::string c_scope = dirs.make(v1.empty() ? v2 : v1,
                                  "kubepods.slice/kubepods-besteffort.slice/"
                                  "kubepods-besteffort-pod" +
                                      systemd_uid(c) + ".slice/docker-" + id_for(4) + ".scope");
  // A namespace no pod holds: its process is in a cgroup of its own.
  std::string d_cg = dirs.make(v2, fmt::format("twtest-pods-{}/app", getpid()));

  Sleeper a1(ns_a.name()), a2(ns_a.name()), b1(ns_b.name()), b_mon, c1, d1(ns_d.name());
  a1.move_to(a_sandbox);
  a2.move_to(a_app);
  b1.move_to(b_ctr);
  b_mon.move_to(b_conmon);
  c1.move_to(c_scope);
  d1.move_to(d_cg);
  mkdirs(logs / ("shop_cart-7d9f-x2v_" + a + "/cart"));
  mkdirs(logs / ("kube-system_coredns-5d78c9869d-abcde_" + b + "/coredns"));

  // kubelet links each container's log (not the sandbox's) in /var/log/containers.
  testing::TempDir container_logs;
  fs::create_symlink(logs / ("shop_cart-7d9f-x2v_" + a + "/cart/0.log"),
                     container_logs / ("cart-7d9f-x2v_shop_cart-" + id_for(2) + ".log"));
  auto map =
      map_pods({.procfs = "/proc", .pod_logs = logs.path, .container_logs = container_logs.path});
  ASSERT_TRUE(map) << map.error();
  uint64_t ia = inode_of("/run/netns/" + ns_a.name()), ib = inode_of("/run/netns/" + ns_b.name());
  uint64_t id = inode_of("/run/netns/" + ns_d.name());
  auto self = netns_identity_of_self();
  ASSERT_TRUE(self && self->host) << "the test runs in the host's namespace";
  uint64_t host = self->inode;

  ASSERT_EQ(map->pod_of_netns(ia), a);
  ASSERT_EQ(map->by_netns.at(ia).processes.size(), 2u);
  EXPECT_EQ(map->by_netns.at(ia).processes[0].pod.runtime, "containerd");
  EXPECT_EQ(map->by_netns.at(ia).processes[0].comm, "sleep");
  EXPECT_EQ(map->process(a2.pid())->pod.container_id, id_for(2));
  EXPECT_EQ(map->process(a1.pid())->pod.container_id, id_for(1));
  EXPECT_EQ(map->process(a1.pid())->pod.qos, "burstable");
  EXPECT_EQ(map->container_name(id_for(2)), "cart");
  EXPECT_EQ(map->container_name(id_for(1)), "") << "the sandbox has no log, so no name";
  ASSERT_NE(map->name_of(a), nullptr);
  EXPECT_EQ(map->name_of(a)->namespace_name, "shop");
  EXPECT_EQ(map->name_of(a)->name, "cart-7d9f-x2v");

  ASSERT_EQ(map->pod_of_netns(ib), b);
  EXPECT_EQ(map->process(b1.pid())->pod.runtime, "crio");
  EXPECT_EQ(map->process(b1.pid())->pod.qos, "guaranteed");
  EXPECT_EQ(map->name_of(b)->name, "coredns-5d78c9869d-abcde");
  EXPECT_EQ(map->process(b_mon.pid()), nullptr) << "conmon is no container";

  // The hostNetwork pod: its process is named, the host's namespace is not.
  ASSERT_NE(map->process(c1.pid()), nullptr);
  EXPECT_EQ(map->process(c1.pid())->pod.uid, c);
  EXPECT_EQ(map->process(c1.pid())->pod.runtime, "docker");
  EXPECT_TRUE(map->by_netns.at(host).host);
  auto in_host = map->pods_in(host);
  EXPECT_NE(std::find(in_host.begin(), in_host.end(), c), in_host.end());
  EXPECT_FALSE(map->pod_of_netns(host));
  EXPECT_EQ(map->name_of(c), nullptr) << "no log directory: no name";

  EXPECT_EQ(map->by_netns.count(id), 0u);
  EXPECT_FALSE(map->pod_of_netns(id));
  EXPECT_EQ(map->process(d1.pid()), nullptr);
  EXPECT_EQ(map->process(getpid()), nullptr);
}

TEST(MapPods, UnreadableProcfsIsOneSentence) {
  auto map = map_pods({.procfs = "/nonexistent-proc\x1b[2J", .pod_logs = "/nonexistent"});
  ASSERT_FALSE(map);
  EXPECT_NE(map.error().find("cannot list /nonexistent-proc\\x1b[2J"), std::string::npos)
      << map.error();
}

}  // namespace
}  // namespace tw
