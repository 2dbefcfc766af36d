// SPDX-License-Identifier: Apache-2.0
#include "lab/namespace.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

namespace tw::lab {

namespace {

std::atomic<int> g_counter{0};

std::string sysctl_path(const std::string& dotted) {
  std::string path = "/proc/sys/" + dotted;
  for (size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  return path;
}

// The pid in "twlab-<pid>-...", or 0 when the name is not a lab namespace.
int owner_pid(const std::string& name) {
  std::string prefix = std::string(kNamePrefix) + "-";
  if (name.rfind(prefix, 0) != 0) return 0;
  return std::atoi(name.c_str() + prefix.size());
}

}  // namespace

Result<std::string> run_command(const std::string& command) {
  std::string out;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (!f) return fail(fmt::format("cannot run `{}`: {}", command, std::strerror(errno)));
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int rc = pclose(f);
  if (rc != 0) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return fail(fmt::format("`{}` failed: {}", command, out.empty() ? "no output" : out));
  }
  return out;
}

Result<std::unique_ptr<Netns>> Netns::create(const std::string& role) {
  std::unique_ptr<Netns> ns(new Netns);
  ns->role_ = role;
  ns->name_ = fmt::format("{}-{}-{}-{}", kNamePrefix, getpid(), g_counter++, role);
  if (auto r = run_command("ip netns add " + ns->name_); !r) {
    ns->name_.clear();  // nothing to delete
    return fail(r.error() + " (creating network namespaces needs root: CAP_SYS_ADMIN)");
  }
  ns->fd_ = open(("/run/netns/" + ns->name_).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns->fd_ < 0)
    return fail(fmt::format("cannot open /run/netns/{}: {}", ns->name_, std::strerror(errno)));
  if (auto st = ns->ip("link set lo up"); !st) return fail(st.error());
  return ns;
}

Netns::~Netns() {
  if (fd_ >= 0) close(fd_);
  if (!name_.empty()) (void)run_command("ip netns del " + name_);
}

Status Netns::enter() const {
  if (setns(fd_, CLONE_NEWNET) != 0)
    return fail(fmt::format("cannot enter network namespace {}: {}", name_, std::strerror(errno)));
  return {};
}

Status Netns::run_in(const std::function<void()>& fn) const {
  Status st;
  std::thread t([&] {
    st = enter();
    if (st) fn();
  });
  t.join();
  return st;
}

Result<std::thread> Netns::spawn(std::function<void()> fn) const {
  std::promise<Status> entered;
  auto f = entered.get_future();
  std::thread t([this, &entered, fn = std::move(fn)] {
    Status st = enter();
    bool ok = st.has_value();
    entered.set_value(std::move(st));
    if (ok) fn();
  });
  Status st = f.get();
  if (!st) {
    t.join();
    return fail(st.error());
  }
  return t;
}

Status Netns::set_sysctl(const std::string& dotted, const std::string& value) const {
  Status result;
  auto st = run_in([&] {
    std::ofstream out(sysctl_path(dotted));
    out << value << "\n";
    out.flush();
    if (!out)
      result = fail(fmt::format("cannot set {} = {} in namespace {}", dotted, value, name_));
  });
  if (!st) return st;
  return result;
}

Result<std::string> Netns::sysctl(const std::string& dotted) const {
  Result<std::string> result =
      fail(fmt::format("{} does not exist in namespace {}", dotted, name_));
  auto st = run_in([&] {
    std::ifstream in(sysctl_path(dotted));
    if (!in) return;
    std::stringstream ss;
    ss << in.rdbuf();
    std::string v = ss.str();
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    result = v;
  });
  if (!st) return fail(st.error());
  return result;
}

Status Netns::ip(const std::string& args) const {
  auto r = run_command(fmt::format("ip -n {} {}", name_, args));
  if (!r) return fail(r.error());
  return {};
}

std::vector<std::string> list_lab_namespaces() {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string n = e.path().filename().string();
    if (owner_pid(n) > 0) out.push_back(n);
  }
  return out;
}

std::vector<std::string> remove_stale_namespaces() {
  std::vector<std::string> removed;
  for (const std::string& n : list_lab_namespaces()) {
    int pid = owner_pid(n);
    // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM means it lives).
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (run_command("ip netns del " + n)) removed.push_back(n);
  }
  return removed;
}

}  // namespace tw::lab
