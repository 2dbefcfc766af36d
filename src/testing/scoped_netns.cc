// SPDX-License-Identifier: Apache-2.0
#include "testing/scoped_netns.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
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

template <typename T>
T value_or_throw(Result<T> r) {
  if (!r) throw std::runtime_error(r.error());
  return std::move(*r);
}
}  // namespace

ScopedNetns::ScopedNetns(const std::string& prefix)
    : ns_(value_or_throw(
          os::OwnedNetns::create(fmt::format("{}-{}-{}", prefix, getpid(), counter++)))) {}

ScopedNetns::~ScopedNetns() = default;

int ScopedNetns::exec(const std::string& command) const {
  std::string cmd = fmt::format("ip netns exec {} sh -c '{}'", name(), command);
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void ScopedNetns::set_sysctl(const std::string& name, const std::string& value) const {
  // By name, as `ip netns exec` finds it: a test may have deleted and made again the namespace of
  // that name, and means the new one.
  auto now = value_or_throw(os::Netns::by_name(this->name()));
  if (auto st = now.set_sysctl(name, value); !st) throw std::runtime_error(st.error());
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

EnterNetns::EnterNetns(const std::string& name)
    : guard_(value_or_throw(os::EnterGuard::enter(value_or_throw(os::Netns::by_name(name))))) {}

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
