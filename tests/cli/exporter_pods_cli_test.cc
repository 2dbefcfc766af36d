// SPDX-License-Identifier: Apache-2.0
// `timewait exporter --all-netns` on a node, as the DaemonSet runs it: the host's /proc and root
// given by --path.procfs and --path.rootfs, real processes in a real (unnamed) network namespace
// placed in real cgroups at kubelet's paths, kubelet's /var/log/pods tree, TIME_WAIT churn in
// that pod. The pod's series carry namespace/pod, the info series its uid, the counts equal ss in
// the pod's namespace, and the netns label stays when the process holding the namespace restarts;
// --pid of a process in the pod labels it alike.
// The exporter in a namespace not the host's calls it by its own name, never "host".
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
#include <regex>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "os/netns.h"
#include "run_tool.h"
#include "sources/netns.h"
#include "testing/kubelet_cgroups.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

std::string http_metrics(int port) {
  std::string out = loopback_request(
      port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 30);
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

// The series lines of a family whose labels contain every `want` (name="value").
std::vector<std::string> series(const std::string& text, const std::string& family,
                                const std::vector<std::string>& want) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(family + "{")) continue;
    bool all = true;
    for (const auto& w : want) all = all && line.find(w) != std::string::npos;
    if (all) out.push_back(line);
  }
  return out;
}

double value_of(const std::string& line) { return std::stod(line.substr(line.rfind(' ') + 1)); }

// This suite's test pod ("7e59": its killed runs' leftovers are found again by it, never
// another suite's).
constexpr std::string_view kMark = "7e59";
std::string uid() { return pod_uid(kMark, 1); }

// kubelet's systemd-driver cgroups of one Burstable containerd pod, removed deepest first (after
// the processes in them are reaped: declared before them).
class PodCgroups {
 public:
  explicit PodCgroups(const std::string& root) {
    remove_stale_pod_cgroups(root, kMark);
    const std::string slice = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                              systemd_uid(uid()) + ".slice";
    slice_ = dirs_.make(root, slice);
    for (int n : {1, 2}) dirs_.make(root, slice + "/cri-containerd-" + container_id(n) + ".scope");
  }
  std::string scope(int n) const {
    return slice_ + "/cri-containerd-" + container_id(n) + ".scope";
  }
  void move(int pid, int n) const { move_into_cgroup(scope(n), pid); }

 private:
  CgroupDirs dirs_;
  std::string slice_;
};

// `sleep` in a new network namespace (lo up), or in the namespace of process `join`; killed and
// reaped at the end (or by restart()).
class Holder {
 public:
  explicit Holder(int join = 0) {
    pid_ = fork();
    if (pid_ == 0) {
      if (join) {
        int fd = open(fmt::format("/proc/{}/ns/net", join).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(1);
      } else if (unshare(CLONE_NEWNET) != 0 || system("ip link set lo up") != 0) {
        _exit(1);
      }
      execl("/bin/sleep", "sleep", "300", nullptr);  // bounded: killed by the destructor
      _exit(1);
    }
    for (int i = 0; i < 1000 && read_text(fmt::format("/proc/{}/comm", pid_)) != "sleep\n"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Holder() { kill_now(); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  void kill_now() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  int pid() const { return pid_; }
  // Running sleep in its namespace (it exits at once when it cannot get there).
  bool ok() const { return read_text(fmt::format("/proc/{}/comm", pid_)) == "sleep\n"; }

 private:
  pid_t pid_ = -1;
};

// The node's namespace as the doctor decides it (PID 1's, kthreadd's where PID 1 hides it).
uint64_t host_inode() {
  auto id = netns_identity_of_self();
  return id ? id->host_inode : 0;
}

uint64_t inode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A procfs that shows only some processes (links into /proc): what the exporter finds through it
// and nothing else proves it reads processes through --path.procfs.
void link_process(const std::string& procfs, int pid) {
  fs::create_symlink(fmt::format("/proc/{}", pid), fmt::format("{}/{}", procfs, pid));
}

TEST(ExporterPods, PodLabelsStableNetnsAndCountsEqualSsThroughTheHostsPaths) {
  const std::string cg = cgroup2_root();
  ASSERT_FALSE(cg.empty()) << "no cgroup v2 hierarchy mounted";
  ScopedNetns::remove_stale();
  ScopedNetns named;  // a node's named namespace, seen only through --path.rootfs
  TempDir root, procfs;
  // kubelet's log tree for the pod, and run/netns under the root holding one name.
  const std::string pod_dir = root / ("var/log/pods/shop_web-0_" + uid());
  fs::create_directories(pod_dir + "/web");
  fs::create_directories(root / "var/log/containers");
  fs::create_directories(root / "run/netns");
  fs::create_symlink("/run/netns/" + named.name(), root / ("run/netns/" + named.name()));
  fs::create_symlink("/proc/stat", procfs / "stat");
  link_process(procfs.path, 1);
  link_process(procfs.path, 2);  // kthreadd: the node's namespace where PID 1 hides its own

  PodCgroups cgroups(cg);
  Holder sandbox, decoy;  // a namespace of its own, held by a process not under --path.procfs
  Holder app(sandbox.pid());
  ASSERT_TRUE(sandbox.ok() && decoy.ok() && app.ok()) << "cannot start the pod's processes";
  cgroups.move(sandbox.pid(), 1);
  cgroups.move(app.pid(), 2);
  link_process(procfs.path, sandbox.pid());
  link_process(procfs.path, app.pid());
  const uint64_t pod_inode = inode_of(fmt::format("/proc/{}/ns/net", sandbox.pid()));
  const uint64_t decoy_inode = inode_of(fmt::format("/proc/{}/ns/net", decoy.pid()));
  ASSERT_NE(pod_inode, 0u);
  ASSERT_NE(pod_inode, decoy_inode);

  // TIME_WAIT churn in the pod: 40 connections closed client-first, 2 left open.
  Sockets socks;
  auto pod_ns = os::Netns::of_pid(sandbox.pid());
  ASSERT_TRUE(pod_ns) << pod_ns.error();
  auto made = pod_ns->run_in([&] {
    uint16_t port = socks.listen("127.0.0.1");
    for (int i = 0; i < 40; ++i) socks.time_wait("127.0.0.1", port);
    for (int i = 0; i < 2; ++i) socks.established("127.0.0.1", port);
  });
  ASSERT_TRUE(made) << made.error();
  auto ss_count = [&](int pid, const std::string& state) {
    return std::stoi(run_output(
        fmt::format("nsenter --net=/proc/{}/ns/net ss -Htan state {} | wc -l", pid, state)));
  };

  const int port = free_loopback_port();
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--all-netns",
                       "--min-interval", "0", "--path.procfs", procfs.path, "--path.rootfs",
                       root.path});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";

  const std::string netns = fmt::format("netns=\"netns:{}\"", pod_inode);
  const std::vector<std::string> pod = {netns, "namespace=\"shop\"", "pod=\"web-0\""};
  auto check = [&](const std::string& text, int holder) {
    auto tw = series(text, "timewait_sockets", {netns, "family=\"ipv4\"", "state=\"time_wait\""});
    ASSERT_EQ(tw.size(), 1u) << text;
    EXPECT_NE(tw[0].find("namespace=\"shop\",pod=\"web-0\""), std::string::npos) << tw[0];
    const int ss_tw = ss_count(holder, "time-wait");
    EXPECT_EQ(ss_tw, 40);
    EXPECT_EQ(value_of(tw[0]), ss_tw) << tw[0];
    auto est =
        series(text, "timewait_sockets", {netns, "family=\"ipv4\"", "state=\"established\""});
    ASSERT_EQ(est.size(), 1u) << text;
    EXPECT_EQ(value_of(est[0]), ss_count(holder, "established"));
    // Every series of the pod's namespace names the pod.
    std::istringstream in(text);
    size_t of_pod = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.find(netns) == std::string::npos || line.starts_with("#")) continue;
      ++of_pod;
      EXPECT_NE(line.find("namespace=\"shop\",pod=\"web-0\""), std::string::npos) << line;
    }
    EXPECT_GT(of_pod, 20u);
    auto info = series(text, "timewait_netns_info", pod);
    ASSERT_EQ(info.size(), 1u) << text;
    EXPECT_NE(info[0].find(fmt::format("inode=\"{}\"", pod_inode)), std::string::npos) << info[0];
    EXPECT_NE(info[0].find("uid=\"" + uid() + "\""), std::string::npos) << info[0];
    EXPECT_EQ(value_of(info[0]), 1);
    // The node's own namespace and a named one: no pod labels; nothing is "pid:N"; a namespace
    // held only by a process outside --path.procfs is not found.
    auto host = series(text, "timewait_up", {"netns=\"host\""});
    ASSERT_EQ(host.size(), 1u) << text;
    EXPECT_EQ(host[0], "timewait_up{netns=\"host\"} 1");
    auto up_named = series(text, "timewait_up", {"netns=\"" + named.name() + "\""});
    ASSERT_EQ(up_named.size(), 1u) << text;
    EXPECT_EQ(up_named[0], "timewait_up{netns=\"" + named.name() + "\"} 1");
    EXPECT_EQ(text.find("netns=\"pid:"), std::string::npos) << text;
    EXPECT_EQ(text.find(fmt::format("netns:{}\"", decoy_inode)), std::string::npos);
    EXPECT_EQ(series(text, "timewait_up", {}).size(), 3u) << text;
  };

  const std::string before = http_metrics(port);
  ASSERT_FALSE(before.empty());
  check(before, sandbox.pid());

  // The sandbox restarts (a new process joins the namespace the app still holds): "pid:N" would
  // have changed to the app's pid; the label stays.
  sandbox.kill_now();
  Holder sandbox2(app.pid());
  ASSERT_TRUE(sandbox2.ok());
  cgroups.move(sandbox2.pid(), 1);
  link_process(procfs.path, sandbox2.pid());
  const std::string after = http_metrics(port);
  ASSERT_FALSE(after.empty());
  check(after, app.pid());

  auto r = tool.terminate(30);
  EXPECT_EQ(r.code, 0) << r.err;

  // --pid of a process in the pod: the same labels as --all-netns gives its namespace.
  const int port2 = free_loopback_port();
  BackgroundTool one({"exporter", "--listen", fmt::format("127.0.0.1:{}", port2), "--pid",
                      std::to_string(app.pid()), "--path.procfs", procfs.path, "--path.rootfs",
                      root.path});
  ASSERT_TRUE(one.wait_for_stderr("listening on")) << "exporter did not start";
  const std::string given = http_metrics(port2);
  EXPECT_EQ(
      series(given, "timewait_up", {}),
      std::vector<std::string>{"timewait_up{" + netns + ",namespace=\"shop\",pod=\"web-0\"} 1"})
      << given;
}

// The exporter run in a namespace not the node's (the DaemonSet's pod, hostNetwork: false):
// its own namespace goes by its name, the node's (found through PID 1) is "host", once.
TEST(ExporterPods, ItsOwnNamespaceIsHostOnlyWhenItIsTheNodes) {
  ScopedNetns::remove_stale();
  ScopedNetns own;
  const int port = 10040 + getpid() % 1000;
  std::string text;
  {
    EnterNetns in(own.name());
    // Forked from this thread: the exporter starts in `own`.
    BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--all-netns",
                         "--min-interval", "0"});
    ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";
    text = http_metrics(port);
    tool.terminate(30);
  }
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(series(text, "timewait_up", {"netns=\"host\""}).size(), 1u) << text;
  auto info = series(text, "timewait_netns_info", {"netns=\"host\""});
  ASSERT_EQ(info.size(), 1u) << text;
  EXPECT_NE(info[0].find(fmt::format("inode=\"{}\"", host_inode())), std::string::npos) << info[0];
  auto mine = series(text, "timewait_netns_info", {"netns=\"" + own.name() + "\""});
  ASSERT_EQ(mine.size(), 1u) << text;
  EXPECT_NE(mine[0].find(fmt::format("inode=\"{}\"", inode_of("/run/netns/" + own.name()))),
            std::string::npos)
      << mine[0];
}

TEST(ExporterPods, BadPathsAreExit2WithOneLine) {
  expect_usage_errors({
      {"exporter --path.procfs /nonexistent-procfs", "--path.procfs /nonexistent-procfs"},
      {"exporter --path.procfs /etc", "not a procfs"},
      {"exporter --path.rootfs /nonexistent-root", "--path.rootfs /nonexistent-root"},
  });
}

}  // namespace
}  // namespace tw::testing
