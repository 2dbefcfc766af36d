// SPDX-License-Identifier: Apache-2.0
// Test helpers: a named network namespace that exists for one test and is always removed, and a
// guard that moves the calling thread into it (sockets made while inside stay in it).
#pragma once

#include <string>

#include "os/netns.h"

namespace tw::testing {

// Creates /run/netns/<prefix>-<pid>-<n> with `ip netns add` and brings lo up (an os::OwnedNetns
// that throws instead of failing); the destructor deletes it. Namespaces named "twtest-*" left by a
// killed run are removed by remove_stale().
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& prefix = "twtest");
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return ns_.name(); }
  const os::Netns& netns() const { return ns_.netns(); }
  // Runs a shell command inside the namespace (`ip netns exec NAME sh -c CMD`); returns its exit
  // status. Use for ip/sysctl set-up in the namespace only.
  int exec(const std::string& command) const;
  // Writes a sysctl of the namespace of this name now (never the host's), e.g.
  // ("net.ipv4.tcp_tw_reuse", "1"), from a thread inside; throws when the kernel refuses.
  void set_sysctl(const std::string& name, const std::string& value) const;

  static void remove_stale(const std::string& prefix = "twtest");

 private:
  os::OwnedNetns ns_;
};

// Moves the calling thread into a namespace for its lifetime, then back (os::EnterGuard, throwing
// when it cannot enter).
class EnterNetns {
 public:
  explicit EnterNetns(const std::string& name);
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  os::EnterGuard guard_;
};

// Runs a command line and returns its standard output (fails the test if it cannot run).
std::string run_output(const std::string& command);
// Runs a command line with stderr joined to stdout: its exit status (-1 if it did not exit) and
// what it printed.
struct CommandResult {
  int code = -1;
  std::string out;
};
CommandResult run_command(const std::string& command);

}  // namespace tw::testing
