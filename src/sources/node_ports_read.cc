// SPDX-License-Identifier: Apache-2.0
// The live reader behind read_node_ports(): the rule tools run as child processes (argv, no
// shell), each bounded in time and output, and the apiserver's flag from /proc or its manifest.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <memory>

#include "os/read_file.h"
#include "os/unique_fd.h"
#include "sources/node_ports.h"

extern char** environ;

namespace tw {

namespace {

constexpr size_t kMaxOutput = 64 << 20;  // a large cluster's NodePort map is far smaller
constexpr int kTimeoutMs = 5000;

// The standard output of `argv` when it exits 0 within the time and size bounds, else nullopt
// (not installed, no such table or chain, killed).
std::optional<std::string> run(std::vector<std::string> argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  os::UniqueFd from_child(fds[0]), to_parent(fds[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_parent.get(), 1);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  to_parent.reset();  // the child holds its copy: EOF comes when it exits
  if (rc != 0) return std::nullopt;
  std::string out;
  bool ok = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      ok = false;
      break;
    }
    pollfd p{from_child.get(), POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(from_child.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
    if (out.size() > kMaxOutput) {
      ok = false;
      break;
    }
  }
  from_child.reset();
  if (!ok) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

// kube-apiserver's --service-node-port-range: from its running process (a control-plane node),
// else from kubeadm's static pod manifest.
void read_range(const NodePortPaths& paths, NodePorts* np) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(paths.procfs.c_str()), closedir);
  while (d) {
    dirent* e = readdir(d.get());
    if (!e) break;
    std::string_view n = e->d_name;
    int pid = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), pid);
    if (ec != std::errc() || p != n.data() + n.size()) continue;
    auto comm = os::read_file(fmt::format("{}/{}/comm", paths.procfs, pid), 64);
    if (!comm || *comm != "kube-apiserver\n") continue;
    auto cmdline = os::read_file(fmt::format("{}/{}/cmdline", paths.procfs, pid), 1 << 20);
    if (!cmdline) continue;
    std::vector<std::string> args;
    for (size_t start = 0; start < cmdline->size();) {
      size_t end = cmdline->find('\0', start);
      if (end == std::string::npos) end = cmdline->size();
      args.push_back(cmdline->substr(start, end - start));
      start = end + 1;
    }
    auto value = node_port_range_arg(args);
    if (!value) value = "30000-32767";  // the flag's default, from the process that applies it
    if (auto r = parse_node_port_range(*value)) {
      np->low = r->first;
      np->high = r->second;
      np->range_assumed = false;
      np->range_source = fmt::format("kube-apiserver (pid {})", pid);
      return;
    }
  }
  std::string manifest = paths.manifests + "/kube-apiserver.yaml";
  auto text = os::read_file(manifest, 1 << 20);
  if (!text) return;
  const std::string flag = "--service-node-port-range=";
  size_t at = text->find(flag);
  if (at == std::string::npos) return;
  size_t end = text->find_first_of("\"'\r\n ", at + flag.size());
  auto r = parse_node_port_range(text->substr(at + flag.size(), end - at - flag.size()));
  if (!r) return;
  np->low = r->first;
  np->high = r->second;
  np->range_assumed = false;
  np->range_source = manifest;
}

}  // namespace

std::optional<NodePorts> read_node_ports(const NodePortPaths& paths) {
  NodePorts np;
  // One `nft list tables` says which of kube-proxy's tables exist (none on most hosts), so the
  // rules are listed only where they can be: kube-proxy's nftables mode, then iptables-nft's
  // `nat` table, in both families.
  std::string tables = run({"nft", "list", "tables"}).value_or("");
  auto has = [&](const std::string& t) { return tables.find(t + "\n") != std::string::npos; };
  for (std::string family : {"ip", "ip6"}) {
    if (has("table " + family + " kube-proxy"))
      for (const char* map : {"service-nodeports", "no-endpoint-nodeports"})
        if (auto out = run({"nft", "list", "map", family, "kube-proxy", map}))
          add_nft_node_ports(*out, &np);  // nft prints the table around the map
    if (has("table " + family + " nat"))
      if (auto out = run({"nft", "list", "chain", family, "nat", "KUBE-NODEPORTS"}))
        add_nft_node_ports(*out, &np);
  }
  // iptables-legacy's tables are invisible to nft: the kernel lists them per namespace.
  for (auto [tool, names] :
       {std::pair{"iptables", "ip_tables_names"}, std::pair{"ip6tables", "ip6_tables_names"}}) {
    auto loaded = os::read_file(fmt::format("/proc/thread-self/net/{}", names), 4096);
    if (loaded && loaded->find("nat\n") != std::string::npos)
      if (auto out = run({tool, "-w", "5", "-t", "nat", "-S", "KUBE-NODEPORTS"}))
        add_iptables_node_ports(*out, &np);
  }
  if (!np.kube_proxy) return std::nullopt;
  read_range(paths, &np);
  return np;
}

}  // namespace tw
