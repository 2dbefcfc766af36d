// SPDX-License-Identifier: Apache-2.0
// `--pod NAMESPACE/NAME` on census, doctor, watch and trace, and trace's pod and container names,
// on the real kernel: processes in real network namespaces (or the host's, for hostNetwork pods)
// placed in real cgroups at exactly the paths kubelet makes (systemd and cgroupfs drivers;
// containerd, CRI-O and docker scopes; the v2 hierarchy and, where the machine has one, a v1
// controller), with /var/log/pods and /var/log/containers as kubelet writes them under a temp
// root given with --path.rootfs. Every cgroup, namespace, process and directory is removed after.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/kubelet_cgroups.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_tool;
using testing::ScopedNetns;

using testing::cgroup1_root;
using testing::cgroup2_root;
using testing::CgroupDirs;
using testing::systemd_uid;

// This suite's test pods ("7e58": its killed runs' leftovers are found again by it).
constexpr std::string_view kMark = "7e58";
std::string uid_for(int n) { return testing::pod_uid(kMark, n); }
std::string id_for(int n) { return testing::container_id(n); }
void remove_stale_cgroups(const std::string& root) {
  testing::remove_stale_pod_cgroups(root, kMark);
}

// A process of a pod: forked, moved into its container's cgroups, in the pod's namespace ("" for
// the host's), named `comm`; it waits for go(), runs `fn` and reports one number. Killed and
// reaped at the end.
class PodProcess {
 public:
  PodProcess(const std::vector<std::string>& cgroups, const std::string& netns,
             const std::string& comm, std::function<int64_t()> fn = nullptr) {
    int ready[2], go[2], result[2];
    if (pipe(ready) || pipe(go) || pipe(result)) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(go[1]);
      close(result[0]);
      if (!netns.empty()) {
        int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(3);
      }
      prctl(PR_SET_NAME, comm.c_str());
      char c = 1;
      (void)!write(ready[1], &c, 1);
      if (read(go[0], &c, 1) != 1 || !fn) {
        pause();  // a sandbox: stays until killed
        _exit(0);
      }
      int64_t v = fn();
      (void)!write(result[1], &v, sizeof v);
      pause();  // keeps its sockets (and its pid's cgroup) until killed
      _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    close(result[1]);
    go_ = go[1];
    result_ = result[0];
    char c;
    EXPECT_EQ(read(ready[0], &c, 1), 1);
    close(ready[0]);
    for (const auto& cg : cgroups) testing::move_into_cgroup(cg, pid_);
  }
  ~PodProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (go_ >= 0) close(go_);
    if (result_ >= 0) close(result_);
  }
  PodProcess(const PodProcess&) = delete;
  PodProcess& operator=(const PodProcess&) = delete;
  pid_t pid() const { return pid_; }
  // Runs fn now; its number (-1 if it died).
  int64_t run() {
    char c = 1;
    if (write(go_, &c, 1) != 1) return -1;
    int64_t v = -1;
    if (read(result_, &v, sizeof v) != sizeof v) return -1;
    return v;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1, result_ = -1;
};

using testing::loopback;

// Holds every port of the namespace's range toward 127.0.0.1:port (connections left open), then
// tries `extra` more: the EADDRNOTAVAIL failures (-1 on another error). Bounded by `max`.
int64_t exhaust(uint16_t port, int max, int extra) {
  int64_t failed = 0;
  for (int i = 0; i < max + extra; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (errno != EADDRNOTAVAIL) return -1;
      failed++;
      close(s);
    }
  }
  return failed;
}

// bind() to 127.0.0.1:port, held by another socket: 1 when it failed with EADDRINUSE.
int64_t bind_taken(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  int r = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int err = errno;
  close(s);
  return r != 0 && err == EADDRINUSE ? 1 : 0;
}

uint64_t netns_inode_of_pid(const std::string& label) {
  struct stat st;
  if (!label.starts_with("pid:")) return 0;
  return stat(("/proc/" + label.substr(4) + "/ns/net").c_str(), &st) == 0 ? st.st_ino : 0;
}
uint64_t inode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A node: a temp root with kubelet's log trees, and the pods' cgroups.
class PodCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    remove_stale_cgroups(cgroup2_root());
    remove_stale_cgroups(cgroup1_root());
    ScopedNetns::remove_stale();
  }
  void SetUp() override {
    v2_ = cgroup2_root();
    ASSERT_FALSE(v2_.empty()) << "no cgroup v2 hierarchy mounted";
    v1_ = cgroup1_root();
  }
  // kubelet's log directory of a pod and its containers, and the /var/log/containers links.
  void log_pod(const std::string& ns, const std::string& name, const std::string& uid,
               const std::vector<std::pair<std::string, std::string>>& containers) {
    std::string dir = root_ / fmt::format("var/log/pods/{}_{}_{}", ns, name, uid);
    fs::create_directories(root_ / "var/log/containers");
    for (auto& [cname, id] : containers) {
      fs::create_directories(dir + "/" + cname);
      std::ofstream(dir + "/" + cname + "/0.log") << "log\n";
      fs::create_symlink(
          dir + "/" + cname + "/0.log",
          root_ / fmt::format("var/log/containers/{}_{}_{}-{}.log", name, ns, cname, id));
    }
  }
  std::string rootfs() const { return "--path.rootfs " + root_.path; }
  // The pod's name, unique to this run.
  static std::string pod_name(const std::string& base) {
    return fmt::format("{}-{}", base, getpid());
  }

  std::string v2_, v1_;
  testing::TempDir root_{"twtest-rootfs"};
  CgroupDirs dirs_;  // before the processes: removed after they are reaped
};

// Pod A: systemd driver, containerd, Burstable, its own namespace: the sandbox and the app.
struct SystemdContainerdPod {
  SystemdContainerdPod(CgroupDirs* dirs, const std::string& v2)
      : slice("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + systemd_uid(uid) +
              ".slice"),
        sandbox_cg(dirs->make(v2, slice + "/cri-containerd-" + id_for(1) + ".scope")),
        app_cg(dirs->make(v2, slice + "/cri-containerd-" + id_for(2) + ".scope")) {}
  std::string uid = uid_for(1);
  std::string slice, sandbox_cg, app_cg;
};

TEST_F(PodCli, CensusPodCountsEqualSsInThePodsNamespace) {
  ScopedNetns ns("twtest");
  SystemdContainerdPod pod(&dirs_, v2_);
  const std::string name = pod_name("cart");
  log_pod("shop", name, pod.uid, {{"cart", id_for(2)}});
  PodProcess sandbox({pod.sandbox_cg}, ns.name(), "pause");
  PodProcess app({pod.app_cg}, ns.name(), "cart");
  // TIME_WAIT churn in the pod's namespace, and one on the host that must not be counted.
  testing::Sockets in_pod, on_host;
  {
    testing::EnterNetns in(ns.name());
    uint16_t port = in_pod.listen("127.0.0.1");
    for (int i = 0; i < 37; ++i) in_pod.time_wait("127.0.0.1", port);
    in_pod.established("127.0.0.1", port);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto r = run_tool(fmt::format("census --pod shop/{} {} --json", name, rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  std::map<std::string, int> ss;
  std::istringstream in(testing::run_output("ip netns exec " + ns.name() + " ss -tanH"));
  for (std::string line; std::getline(in, line);) ss[line.substr(0, line.find(' '))]++;
  EXPECT_EQ(j["states"]["time-wait"], ss["TIME-WAIT"]);
  EXPECT_EQ(j["states"]["time-wait"], 37);
  EXPECT_EQ(j["states"]["established"], ss["ESTAB"]);
  EXPECT_EQ(j["states"]["listening"], ss["LISTEN"]);
  // Named as the pod, beside the namespace key it always had (the sandbox, the lowest pid).
  EXPECT_EQ(j["host"]["namespace"], "shop");
  EXPECT_EQ(j["host"]["pod"], name);
  EXPECT_EQ(j["host"]["pod_host_network"], false);
  EXPECT_EQ(j["host"]["netns"], fmt::format("pid:{}", std::min(sandbox.pid(), app.pid())));
  EXPECT_EQ(netns_inode_of_pid(j["host"]["netns"]), inode_of("/run/netns/" + ns.name()));

  r = run_tool(fmt::format("census --pod shop/{} {}", name, rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("(pod shop/{})", name)), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");

  // A snapshot keeps the pod's name: read elsewhere, it still says whose it was.
  std::string snap = root_ / "pod.snapshot";
  r = run_tool(fmt::format("census --pod shop/{} {} --save {}", name, rootfs(), snap));
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_tool(fmt::format("census --from {} --json", snap));
  ASSERT_EQ(r.code, 0) << r.err;
  json saved = json::parse(r.out);
  EXPECT_EQ(saved["host"]["pod"], name);
  EXPECT_EQ(saved["host"]["namespace"], "shop");
  EXPECT_EQ(saved["states"]["time-wait"], 37);
}

// census --all-netns names the pod's namespace as the pod (header and JSON), found and entered
// through the same --path.rootfs, its counts those of a census --pod.
TEST_F(PodCli, CensusAllNetnsNamesThePodsNamespace) {
  ScopedNetns ns("twtest");
  SystemdContainerdPod pod(&dirs_, v2_);
  const std::string name = pod_name("cart");
  log_pod("shop", name, pod.uid, {{"cart", id_for(2)}});
  PodProcess sandbox({pod.sandbox_cg}, ns.name(), "pause");
  testing::Sockets in_pod;
  {
    testing::EnterNetns in(ns.name());
    uint16_t port = in_pod.listen("127.0.0.1");
    for (int i = 0; i < 23; ++i) in_pod.time_wait("127.0.0.1", port);
  }
  auto r = run_tool(fmt::format("census --all-netns --top 0 {} --json", rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  // The namespace is found through the pod's process (the temp root has no run/netns): its key
  // is the process's, its block the one with the namespace's inode.
  const uint64_t inode = inode_of("/run/netns/" + ns.name());
  std::string key;
  for (const auto& [k, b] : j["namespaces"].items()) {
    if (b["inode"] == inode) {
      key = k;
      continue;
    }
    EXPECT_FALSE(b["host"].contains("pod")) << k << " is no pod's";  // the node's included
  }
  ASSERT_FALSE(key.empty()) << r.out.substr(0, 2000);
  const json& block = j["namespaces"][key];
  EXPECT_EQ(block["host"]["namespace"], "shop");
  EXPECT_EQ(block["host"]["pod"], name);
  EXPECT_EQ(block["states"]["time-wait"], 23);

  r = run_tool(fmt::format("census --all-netns --top 0 {}", rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("== netns {} (pod shop/{}): worst pool", key, name)),
            std::string::npos)
      << r.out.substr(0, 3000);
}

// Pod B: cgroupfs driver, CRI-O, Guaranteed, its own namespace.
TEST_F(PodCli, DoctorAndWatchSelectThePod) {
  ScopedNetns ns("twtest");
  std::string uid = uid_for(2);
  std::string cg = dirs_.make(v2_, "kubepods/pod" + uid + "/crio-" + id_for(3));
  const std::string name = pod_name("coredns");
  log_pod("kube-system", name, uid, {{"coredns", id_for(3)}});
  PodProcess p({cg}, ns.name(), "coredns");
  testing::Sockets socks;
  {
    testing::EnterNetns in(ns.name());
    uint16_t port = socks.listen("127.0.0.1");
    for (int i = 0; i < 11; ++i) socks.time_wait("127.0.0.1", port);
  }
  const std::string pod = "kube-system/" + name;

  auto r = run_tool(fmt::format("doctor --pod {} {} --json", pod, rootfs()));
  ASSERT_TRUE(r.code == 0 || r.code == 3 || r.code == 4) << r.code << r.err;
  json d = json::parse(r.out);
  EXPECT_EQ(d["host"]["netns"], fmt::format("pid:{}", p.pid()));
  EXPECT_EQ(d["host"]["namespace"], "kube-system");
  EXPECT_EQ(d["host"]["pod"], name);
  r = run_tool(fmt::format("doctor --pod {} {}", pod, rootfs()));
  EXPECT_NE(r.out.find(fmt::format("netns pid:{} (pod {})", p.pid(), pod)), std::string::npos)
      << r.out;

  r = run_tool(fmt::format("watch --pod {} {} --interval 0.2 --count 1 --json", pod, rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  json w = json::parse(r.out);
  EXPECT_EQ(w["netns"], fmt::format("pid:{}", p.pid()));
  EXPECT_EQ(w["pod"], name);
  EXPECT_EQ(w["namespace"], "kube-system");
  EXPECT_EQ(w["states"]["TIME-WAIT"]["count"], 11) << r.out;
  r = run_tool(fmt::format("watch --pod {} {} --interval 0.2 --count 1", pod, rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("pid:{} (pod {})", p.pid(), pod)), std::string::npos) << r.out;
}

// Pod C: hostNetwork, docker, BestEffort, systemd driver, on a v1 hierarchy where there is one.
TEST_F(PodCli, HostNetworkPodReadsTheHostsNamespaceAndSaysItIsShared) {
  std::string uid = uid_for(3);
  std::string cg = dirs_.make(v1_.empty() ? v2_ : v1_,
                              "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                                  systemd_uid(uid) + ".slice/docker-" + id_for(4) + ".scope");
  const std::string name = pod_name("node-agent");
  log_pod("monitoring", name, uid, {{"agent", id_for(4)}});
  PodProcess p({cg}, "", "agent");
  auto r = run_tool(fmt::format("census --pod monitoring/{} {} --json", name, rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["host"]["pod_host_network"], true);
  EXPECT_EQ(j["host"]["pod"], name);
  EXPECT_EQ(netns_inode_of_pid(j["host"]["netns"]), inode_of("/proc/self/ns/net"));
  EXPECT_NE(r.err.find("is hostNetwork: its network namespace is the host's"), std::string::npos)
      << r.err;
  r = run_tool(fmt::format("census --pod monitoring/{} {}", name, rootfs()));
  // The header wraps where the terminal width falls: read it as one line.
  std::string header = r.out.substr(0, r.out.find("\n\n"));
  for (size_t at; (at = header.find("\n  ")) != std::string::npos;) header.replace(at, 3, " ");
  EXPECT_NE(header.find("(hostNetwork pod monitoring/" + name +
                        ": the host's namespace, shared with the host)"),
            std::string::npos)
      << r.out;
}

// census -p names a hostNetwork pod's sockets through its process: the owner row carries the pod
// and its container, in JSON and in the table; a process of no pod carries neither.
TEST_F(PodCli, CensusProcessesNamesAHostNetworkPodsSockets) {
  std::string uid = uid_for(5);
  std::string cg =
      dirs_.make(v2_, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                          systemd_uid(uid) + ".slice/cri-containerd-" + id_for(6) + ".scope");
  const std::string name = pod_name("node-agent");
  log_pod("monitoring", name, uid, {{"agent", id_for(6)}});
  // It listens on the host's loopback and keeps the socket until killed.
  PodProcess agent({cg}, "", "agent", [] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4) != 0)
      return int64_t{-1};
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return static_cast<int64_t>(ntohs(a.sin_port));
  });
  ASSERT_GT(agent.run(), 0);
  testing::Sockets mine;  // this test's own listener: a process of no pod
  mine.listen("127.0.0.1");

  auto r = run_tool(fmt::format("census -p --top 0 {} --json", rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  bool agent_seen = false, self_seen = false;
  for (const auto& o : j["owners"]) {
    if (o["pid"] == agent.pid()) {
      agent_seen = true;
      EXPECT_EQ(o["namespace"], "monitoring");
      EXPECT_EQ(o["pod"], name);
      EXPECT_EQ(o["container"], "agent");
    } else if (o["pid"] == getpid()) {
      self_seen = true;
      EXPECT_FALSE(o.contains("pod")) << o.dump();
    }
  }
  EXPECT_TRUE(agent_seen) << r.out.substr(0, 3000);
  EXPECT_TRUE(self_seen) << r.out.substr(0, 3000);

  r = run_tool(fmt::format("census -p --top 0 {}", rootfs()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("POD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("monitoring/" + name), std::string::npos) << r.out;
  // Without kubelet's log tree (the host's own root here has none of this test's), no pod column.
  r = run_tool("census -p --top 0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("monitoring/" + name), std::string::npos) << r.out;
}

TEST_F(PodCli, NoSuchPodSaysWhichPodsThereAreAndBadFlagsAreUsageErrors) {
  ScopedNetns ns("twtest");
  SystemdContainerdPod pod(&dirs_, v2_);
  const std::string name = pod_name("cart");
  log_pod("shop", name, pod.uid, {{"cart", id_for(2)}});
  log_pod("shop", "gone", uid_for(9), {{"gone", id_for(9)}});  // a directory, no process
  PodProcess app({pod.app_cg}, ns.name(), "cart");
  testing::expect_usage_errors({
      {fmt::format("census --pod shop/nope {}", rootfs()),
       fmt::format("no pod shop/nope on this node: 1 running pod found: --pod shop/{}", name)},
      {fmt::format("doctor --pod shop/gone {}", rootfs()),
       "has a directory in " + root_.path + "/var/log/pods but no running process"},
      {fmt::format("watch --pod other/x --path.rootfs {}/none", root_.path),
       "no running pod is named in"},
      {fmt::format("census --pod shop/{} --netns {}", name, ns.name()),
       "give either --pod or --netns, not both"},
      {fmt::format("doctor --pod shop/{} --pid 1", name), "give either --pod or --pid"},
      {fmt::format("census --pod shop/{} --from /dev/null", name), "give either --pod or --from"},
      {"census --pod 'Shop/x\x1b[2J'", "is not NAMESPACE/NAME"},
      {"trace --pod nopod", "is not NAMESPACE/NAME"},
      {"census --path.rootfs /", "give --pod or leave --path.rootfs out"},
      {"census --pod a/b --path.procfs /nonexistent", "cannot list /nonexistent"},
      // -p and --all-netns check the paths as the exporter does: a wrong mount is no quiet node.
      {"census --all-netns --path.procfs /etc", "--path.procfs /etc: not a procfs"},
      {"census -p --path.rootfs /nonexistent", "--path.rootfs /nonexistent: not a directory"},
  });
}

#if TIMEWAIT_BPF_BUILT

// The pod's app container exhausts a 4-port range in the pod's namespace: every EADDRNOTAVAIL is
// the pod's, its container's (by name, from /var/log/containers) and its process's.
TEST_F(PodCli, TraceAttributesEaddrnotavailToThePodAndContainer) {
  ScopedNetns ns("twtest");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40003");
  SystemdContainerdPod pod(&dirs_, v2_);
  const std::string name = pod_name("cart");
  // A sidecar beside the app: its own container, its own name.
  std::string sidecar_cg = dirs_.make(v2_, pod.slice + "/cri-containerd-" + id_for(7) + ".scope");
  log_pod("shop", name, pod.uid, {{"cart", id_for(2)}, {"istio-proxy", id_for(7)}});
  constexpr uint16_t kPort = 8093;
  testing::Sockets server;
  {
    testing::EnterNetns in(ns.name());
    server.listen("127.0.0.1", kPort);
  }
  PodProcess sandbox({pod.sandbox_cg}, ns.name(), "pause");
  PodProcess app({pod.app_cg}, ns.name(), "cart-client", [] { return exhaust(kPort, 4, 3); });
  PodProcess envoy({sidecar_cg}, ns.name(), "envoy", [] { return exhaust(kPort, 0, 2); });

  testing::BackgroundTool tracer(
      {"trace", "--pod", "shop/" + name, "--path.rootfs", root_.path, "--json"});
  ASSERT_TRUE(tracer.wait_for_stderr("tracing TCP")) << "the tracer did not start";
  ASSERT_EQ(app.run(), 3);
  ASSERT_EQ(envoy.run(), 2) << "the app holds every port of the range";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = tracer.interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find(fmt::format("pod shop/{}'s network namespace", name)), std::string::npos)
      << r.err;
  int64_t app_failed = 0, sidecar_failed = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line);
    if (e["event"] != "connect-failed") continue;
    EXPECT_EQ(e["errno"], "EADDRNOTAVAIL") << line;
    EXPECT_EQ(e["namespace"], "shop") << line;
    EXPECT_EQ(e["pod"], name) << line;
    EXPECT_EQ(e["pod_uid"], pod.uid) << line;
    if (e["pid"] == app.pid()) {
      EXPECT_EQ(e["comm"], "cart-client") << line;
      EXPECT_EQ(e["container"], "cart") << line;
      EXPECT_EQ(e["container_id"], id_for(2)) << line;
      app_failed++;
    } else {
      EXPECT_EQ(e["pid"], envoy.pid()) << line;
      EXPECT_EQ(e["comm"], "envoy") << line;
      EXPECT_EQ(e["container"], "istio-proxy") << line;
      EXPECT_EQ(e["container_id"], id_for(7)) << line;
      sidecar_failed++;
    }
  }
  EXPECT_EQ(app_failed, 3) << r.out;
  EXPECT_EQ(sidecar_failed, 2) << r.out;

  // The summary names them too; its text has POD and CONTAINER columns.
  testing::BackgroundTool summary(
      {"trace", "--pod", "shop/" + name, "--path.rootfs", root_.path, "--summary"});
  ASSERT_TRUE(summary.wait_for_stderr("tracing TCP"));
  PodProcess again({pod.app_cg}, ns.name(), "cart-retry", [] { return exhaust(kPort, 0, 2); });
  ASSERT_EQ(again.run(), 2);
  r = summary.interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("POD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("shop/{}", name)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("EADDRNOTAVAIL 2"), std::string::npos) << r.out;
}

// Two hostNetwork pods in the host's namespace and a process outside any pod, each failing a
// bind() with EADDRINUSE: a trace of the node names each pod (a v2 cgroup by its id; a v1-placed
// one through /proc/PID/cgroup) and nobody for the outsider; `--pod` keeps one pod's alone, by
// cgroup id in the kernel.
TEST_F(PodCli, TraceNamesHostNetworkPodsAndFiltersOneByCgroup) {
  testing::Sockets held;
  uint16_t port = held.listen("127.0.0.1");
  std::string d_uid = uid_for(4), c_uid = uid_for(5);
  std::string d_cg = dirs_.make(v2_,
                                "kubepods.slice/kubepods-besteffort.slice/"
                                "kubepods-besteffort-pod" +
                                    systemd_uid(d_uid) + ".slice/crio-" + id_for(5) + ".scope");
  const std::string d_name = pod_name("proxy"), c_name = pod_name("exporter");
  log_pod("net", d_name, d_uid, {{"proxy", id_for(5)}});
  std::string c_cg;
  if (!v1_.empty()) {
    c_cg = dirs_.make(v1_, "kubepods/besteffort/pod" + c_uid + "/" + id_for(6));
    log_pod("net", c_name, c_uid, {{"exporter", id_for(6)}});
  }
  auto attempt = [port] { return bind_taken(port); };
  PodProcess d({d_cg}, "", "hn-proxy", attempt);
  std::unique_ptr<PodProcess> c;
  if (!c_cg.empty())
    c = std::make_unique<PodProcess>(std::vector{c_cg}, "", "hn-exporter", attempt);
  PodProcess outsider({}, "", "hn-outsider", attempt);

  auto bind_failures = [](const std::string& out) {
    std::map<int, json> by_pid;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      json e = json::parse(line);
      if (e["event"] == "bind-failed" && e["errno"] == "EADDRINUSE") by_pid[e["pid"]] = e;
    }
    return by_pid;
  };
  {
    testing::BackgroundTool all({"trace", "--path.rootfs", root_.path, "--json"});
    ASSERT_TRUE(all.wait_for_stderr("tracing TCP"));
    ASSERT_EQ(d.run(), 1);
    if (c) ASSERT_EQ(c->run(), 1);
    ASSERT_EQ(outsider.run(), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto r = all.interrupt();
    ASSERT_EQ(r.code, 0) << r.err;
    auto seen = bind_failures(r.out);
    ASSERT_TRUE(seen.count(d.pid())) << r.out;
    EXPECT_EQ(seen[d.pid()]["pod"], d_name);
    EXPECT_EQ(seen[d.pid()]["namespace"], "net");
    EXPECT_EQ(seen[d.pid()]["container"], "proxy");
    if (c) {
      ASSERT_TRUE(seen.count(c->pid())) << r.out;
      EXPECT_EQ(seen[c->pid()]["pod"], c_name) << "a v1-placed process: named from /proc";
      EXPECT_EQ(seen[c->pid()]["container"], "exporter");
    }
    ASSERT_TRUE(seen.count(outsider.pid())) << r.out;
    EXPECT_FALSE(seen[outsider.pid()].contains("pod")) << seen[outsider.pid()].dump();
  }
  // Each child ran its attempt once; new ones, same cgroups, for the filtered trace.
  PodProcess d2({d_cg}, "", "hn-proxy2", attempt);
  PodProcess outsider2({}, "", "hn-outsider2", attempt);
  testing::BackgroundTool one(
      {"trace", "--pod", "net/" + d_name, "--path.rootfs", root_.path, "--json"});
  ASSERT_TRUE(one.wait_for_stderr("tracing TCP"));
  ASSERT_EQ(d2.run(), 1);
  ASSERT_EQ(outsider2.run(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = one.interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hostNetwork pod net/" + d_name), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  int events = 0;
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line);
    if (e["event"] == "end") continue;
    ++events;
    EXPECT_EQ(e["pod"], d_name) << "only the pod's processes pass the kernel's filter: " << line;
  }
  auto seen = bind_failures(r.out);
  EXPECT_TRUE(seen.count(d2.pid())) << r.out;
  EXPECT_FALSE(seen.count(outsider2.pid())) << r.out;
  EXPECT_GE(events, 1);
}

// On a host without pods (no log directory), the trace reads as it always did: no pod columns.
TEST_F(PodCli, TraceWithoutPodsKeepsItsColumns) {
  testing::BackgroundTool t({"trace", "--path.rootfs", root_.path + "/none", "--duration", "1"});
  auto r = t.finish(30);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')).find("POD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("COMM"), std::string::npos) << r.out;
}

#endif

}  // namespace
}  // namespace tw
