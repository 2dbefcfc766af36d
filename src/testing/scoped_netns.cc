// SPDX-License-Identifier: Apache-2.0
#include "testing/scoped_netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace tw::testing {

namespace {
std::atomic<int> counter{0};

void run_or_throw(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}
}  // namespace

ScopedNetns::ScopedNetns(const std::string& prefix) {
  name_ = fmt::format("{}-{}-{}", prefix, getpid(), counter++);
  run_or_throw(fmt::format("ip netns add {}", name_));
  run_or_throw(fmt::format("ip -n {} link set lo up", name_));
}

ScopedNetns::~ScopedNetns() {
  std::system(fmt::format("ip netns del {} 2>/dev/null", name_).c_str());
}

int ScopedNetns::exec(const std::string& command) const {
  std::string cmd = fmt::format("ip netns exec {} sh -c '{}'", name_, command);
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void ScopedNetns::set_sysctl(const std::string& name, const std::string& value) const {
  run_or_throw(fmt::format("ip netns exec {} sysctl -q -w {}='{}' >/dev/null", name_, name, value));
}

void ScopedNetns::remove_stale(const std::string& prefix) {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix + "-", 0) != 0) continue;
    // Only namespaces whose creating process is gone: <prefix>-<pid>-<n>.
    int pid = std::atoi(n.c_str() + prefix.size() + 1);
    if (pid > 0 && kill(pid, 0) == 0) continue;
    std::system(fmt::format("ip netns del {} 2>/dev/null", n).c_str());
  }
}

EnterNetns::EnterNetns(const std::string& name) {
  old_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (old_fd_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0)
    throw std::runtime_error("cannot enter network namespace " + name);
  close(fd);
}

EnterNetns::~EnterNetns() {
  if (setns(old_fd_, CLONE_NEWNET) != 0) std::abort();  // a thread left in a test netns is unsafe
  close(old_fd_);
}

std::string run_output(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (!f) throw std::runtime_error("cannot run: " + command);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int rc = pclose(f);
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return r;
}

}  // namespace tw::testing
