// SPDX-License-Identifier: Apache-2.0
// A network namespace that belongs to one lab run: an os::OwnedNetns (made with `ip netns add`,
// removed when the object dies) with the lab's naming, its role and `ip -n`. Work "inside" it runs
// on a thread that entered it (os/netns.h says why).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "model/result.h"
#include "os/netns.h"

namespace tw::lab {

// Every lab namespace is named twlab-<pid>-<n>-<role>: a leftover of a killed run is recognised
// by its dead pid and removed by the next run (remove_stale_namespaces).
inline constexpr const char* kNamePrefix = "twlab";

class Netns {
 public:
  // Creates twlab-<pid>-<n>-<role> with its loopback up.
  static Result<std::unique_ptr<Netns>> create(const std::string& role);
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return ns_.name(); }
  const std::string& role() const { return role_; }

  // Runs fn on a thread inside this namespace and waits for it.
  Status run_in(const std::function<void()>& fn) const;
  // Starts fn on a thread inside this namespace; the caller joins it.
  Result<std::thread> spawn(std::function<void()> fn) const;
  // Enters this namespace on the calling thread (for threads the lab owns, never the main one).
  Status enter() const;

  // Writes /proc/sys/<dotted name> from a thread inside: the host's value is never touched.
  Status set_sysctl(const std::string& dotted, const std::string& value) const;
  Result<std::string> sysctl(const std::string& dotted) const;
  // Runs `ip -n NAME <args>`.
  Status ip(const std::string& args) const;

 private:
  Netns(os::OwnedNetns ns, std::string role) : ns_(std::move(ns)), role_(std::move(role)) {}
  os::OwnedNetns ns_;
  std::string role_;
};

// Deletes lab namespaces whose creating process is dead; returns their names.
std::vector<std::string> remove_stale_namespaces();
// Lab namespaces that exist now (of any run).
std::vector<std::string> list_lab_namespaces();

// Runs a shell command line; returns its output or an error quoting stderr.
using os::run_command;

}  // namespace tw::lab
