// SPDX-License-Identifier: Apache-2.0
#include "os/netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>

#include "os/sysctl.h"

namespace tw::os {

namespace {

Result<UniqueFd> open_ns(const std::string& path, const std::string& what,
                         const std::string& how_to_list) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) return fd;
  if (errno == ENOENT) return fail(fmt::format("{} does not exist ({})", what, how_to_list));
  if (errno == EACCES || errno == EPERM)
    return fail(fmt::format("cannot open {}: permission denied (run as root)", what));
  return fail(fmt::format("cannot open {} ({}): {}", what, path, std::strerror(errno)));
}

}  // namespace

Result<Netns> Netns::by_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return fail(fmt::format("'{}' is not a network namespace name", name));
  std::string what = fmt::format("network namespace '{}'", name);
  auto fd = open_ns("/run/netns/" + name, what, "`ip netns list` shows the names");
  if (!fd) return fail(fd.error());
  return Netns(std::move(*fd), std::move(what));
}

Result<Netns> Netns::of_pid(int pid) {
  if (pid <= 0) return fail(fmt::format("'{}' is not a process id", pid));
  std::string what = fmt::format("the network namespace of pid {}", pid);
  auto fd = open_ns(fmt::format("/proc/{}/ns/net", pid), what, "no such process");
  if (!fd) return fail(fd.error());
  return Netns(std::move(*fd), std::move(what));
}

Result<Netns> Netns::of_self() {
  std::string what = "this thread's network namespace";
  auto fd = open_ns("/proc/thread-self/ns/net", what, "no /proc");
  if (!fd) return fail(fd.error());
  return Netns(std::move(*fd), std::move(what));
}

Result<Netns> Netns::at(const std::string& path, std::string what) {
  auto fd = open_ns(path, what, path);
  if (!fd) return fail(fd.error());
  return Netns(std::move(*fd), std::move(what));
}

Status Netns::enter() const {
  if (setns(fd_.get(), CLONE_NEWNET) == 0) return {};
  if (errno == EPERM)
    return fail(fmt::format("entering {} needs root (CAP_SYS_ADMIN): run with sudo", what_));
  return fail(fmt::format("cannot enter {}: {}", what_, std::strerror(errno)));
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
  if (auto st = run_in([&] { result = write_sysctl(dotted, value); }); !st) return st;
  if (!result) return fail(fmt::format("{} (in {})", result.error(), what_));
  return result;
}

Result<std::string> Netns::sysctl(const std::string& dotted) const {
  Result<std::string> result;
  if (auto st = run_in([&] { result = read_sysctl(dotted); }); !st) return fail(st.error());
  if (!result) return fail(fmt::format("{} (in {})", result.error(), what_));
  return result;
}

Result<OwnedNetns> OwnedNetns::create(const std::string& name) {
  if (auto r = run_command("ip netns add " + name); !r)
    return fail(r.error() + " (creating network namespaces needs root: CAP_SYS_ADMIN)");
  auto ns = Netns::by_name(name);
  if (!ns) {
    (void)run_command("ip netns del " + name);
    return fail(ns.error());
  }
  OwnedNetns owned(name, std::move(*ns));
  if (auto r = run_command(fmt::format("ip -n {} link set lo up", name)); !r)
    return fail(r.error());
  return owned;
}

OwnedNetns::OwnedNetns(OwnedNetns&& o) noexcept
    : name_(std::exchange(o.name_, std::string())), ns_(std::move(o.ns_)) {}

OwnedNetns::~OwnedNetns() {
  if (!name_.empty()) (void)run_command("ip netns del " + name_);
}

Result<EnterGuard> EnterGuard::enter(const Netns& ns) {
  auto back = Netns::of_self();
  if (!back) return fail(back.error());
  if (auto st = ns.enter(); !st) return fail(st.error());
  return EnterGuard(std::move(*back));
}

EnterGuard::~EnterGuard() {
  if (back_ && !back_->enter()) std::abort();
}

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

}  // namespace tw::os
