// SPDX-License-Identifier: Apache-2.0
// The one namespace type. setns(CLONE_NEWNET) moves only the calling thread and a socket stays in
// the namespace it was made in, so "inside a namespace" means on a thread that entered it: a
// Netns is an open handle that threads enter, run work in, or (OwnedNetns) one this process made
// with `ip netns add` and deletes. sources/netns (--netns, --pid), lab/namespace and the tests'
// ScopedNetns/EnterNetns are built on it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "model/result.h"
#include "os/unique_fd.h"

namespace tw::os {

class Netns {
 public:
  // /run/netns/NAME (what `ip netns add` makes); fails for a name with '/' or "."/"..".
  static Result<Netns> by_name(const std::string& name);
  // /proc/PID/ns/net.
  static Result<Netns> of_pid(int pid);
  // The calling thread's own namespace (/proc/thread-self/ns/net).
  static Result<Netns> of_self();
  // A namespace file at any path (the host's /proc or /run/netns mounted elsewhere in a
  // container); `what` names it in errors.
  static Result<Netns> at(const std::string& path, std::string what);

  // Moves the calling thread in (for threads of our own, or before any other thread exists).
  Status enter() const;
  // Runs fn on a new thread inside and waits for it.
  Status run_in(const std::function<void()>& fn) const;
  // Starts fn on a new thread inside, returned once the thread is in; the caller joins it.
  Result<std::thread> spawn(std::function<void()> fn) const;
  // A setting of this namespace, never the host's (os/sysctl, from a thread inside).
  Status set_sysctl(const std::string& dotted, const std::string& value) const;
  Result<std::string> sysctl(const std::string& dotted) const;

  int fd() const { return fd_.get(); }
  // How errors name it: "network namespace 'x'", "the network namespace of pid 7".
  const std::string& what() const { return what_; }

 private:
  Netns(UniqueFd fd, std::string what) : fd_(std::move(fd)), what_(std::move(what)) {}
  UniqueFd fd_;
  std::string what_;
};

// A namespace made with `ip netns add NAME` (its loopback up) and deleted with the object.
class OwnedNetns {
 public:
  static Result<OwnedNetns> create(const std::string& name);
  OwnedNetns(OwnedNetns&& o) noexcept;
  OwnedNetns& operator=(OwnedNetns&&) = delete;
  ~OwnedNetns();

  const std::string& name() const { return name_; }
  const Netns& netns() const { return ns_; }

 private:
  OwnedNetns(std::string name, Netns ns) : name_(std::move(name)), ns_(std::move(ns)) {}
  std::string name_;  // "" once moved from: nothing to delete
  Netns ns_;
};

// Moves the calling thread into a namespace for its lifetime, then back to where it was. A thread
// that cannot go back aborts: its sockets and reads would silently be another namespace's.
class EnterGuard {
 public:
  static Result<EnterGuard> enter(const Netns& ns);
  EnterGuard(EnterGuard&& o) noexcept : back_(std::exchange(o.back_, std::nullopt)) {}
  EnterGuard& operator=(EnterGuard&&) = delete;
  ~EnterGuard();

 private:
  explicit EnterGuard(Netns back) : back_(std::move(back)) {}
  std::optional<Netns> back_;
};

// Runs a shell command line; its output, or an error quoting what it printed (stderr included).
Result<std::string> run_command(const std::string& command);

}  // namespace tw::os
