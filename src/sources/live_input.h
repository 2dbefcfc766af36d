// SPDX-License-Identifier: Apache-2.0
// The live kernel as an input (sources/input.h): the target's namespace is entered by the calling
// thread (for the rest of its life: `doctor --apply` writes there and the tracer filters on it),
// then the socket table is read by the source chosen (sources/live_sockets.h). Windows reads the
// iphlpapi TCP table (live_input_win32.cc).
#pragma once

#include <memory>

#include "sources/input.h"
#include "sources/live_sockets.h"

namespace tw {

// Fails when the namespace cannot be entered (no such name or process, not root).
Result<std::unique_ptr<Input>> open_live_input(const InputTarget& target,
                                               SourceKind kind = SourceKind::kAuto);

// The inode of the target's namespace (what the tracer filters on), without entering it: by
// name, of the process, or (neither) of the calling thread. Linux only.
Result<uint64_t> target_netns_inode(const InputTarget& target);

// A receiver made of two functions, for callers that keep their own counts (lab, tests).
struct FunctionReceiver final : SocketReceiver {
  FunctionReceiver(SocketSink on_add, std::function<void()> on_restart)
      : on_add_(std::move(on_add)), on_restart_(std::move(on_restart)) {}
  void add(const Socket& s) override { on_add_(s); }
  void restart() override {
    if (on_restart_) on_restart_();
  }

 private:
  SocketSink on_add_;
  std::function<void()> on_restart_;
};

}  // namespace tw
