// SPDX-License-Identifier: Apache-2.0
#include "lab/namespace.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace tw::lab {

namespace {

std::atomic<int> g_counter{0};

// The pid in "twlab-<pid>-...", or 0 when the name is not a lab namespace.
int owner_pid(const std::string& name) {
  std::string prefix = std::string(kNamePrefix) + "-";
  if (name.rfind(prefix, 0) != 0) return 0;
  return std::atoi(name.c_str() + prefix.size());
}

}  // namespace

Result<std::unique_ptr<Netns>> Netns::create(const std::string& role) {
  auto ns =
      os::OwnedNetns::create(fmt::format("{}-{}-{}-{}", kNamePrefix, getpid(), g_counter++, role));
  if (!ns) return fail(ns.error());
  return std::unique_ptr<Netns>(new Netns(std::move(*ns), role));
}

Status Netns::enter() const { return ns_.netns().enter(); }

Status Netns::run_in(const std::function<void()>& fn) const { return ns_.netns().run_in(fn); }

Result<std::thread> Netns::spawn(std::function<void()> fn) const {
  return ns_.netns().spawn(std::move(fn));
}

Status Netns::set_sysctl(const std::string& dotted, const std::string& value) const {
  return ns_.netns().set_sysctl(dotted, value);
}

Result<std::string> Netns::sysctl(const std::string& dotted) const {
  auto v = ns_.netns().sysctl(dotted);
  while (v && !v->empty() && v->back() == ' ') v->pop_back();
  return v;
}

Status Netns::ip(const std::string& args) const {
  auto r = run_command(fmt::format("ip -n {} {}", name(), args));
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
