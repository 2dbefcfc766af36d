// SPDX-License-Identifier: Apache-2.0
// The Windows build lists the Linux-only subcommands in --help and refuses them with a sentence,
// so a user who read the Linux docs learns why rather than meeting "unknown command".
#include <fmt/format.h>

#include "cli/command.h"

namespace tw::cli {

namespace {

void linux_only(int order, const char* name, const char* what) {
  Register reg(order, [name, what](CLI::App& app) {
    CLI::App* sub = app.add_subcommand(name, fmt::format("(Linux only) {}", what));
    sub->allow_extras();
    std::string message = fmt::format(
        "`timewait {}` needs Linux ({}); the Windows build has census, doctor and explain", name,
        what);
    return std::pair{sub, std::function<int()>([message] { return error(message); })};
  });
}

// Registered at start-up, in the order of the Linux build's --help.
const bool registered = [] {
  linux_only(22, "trace", "eBPF tracepoints in the Linux kernel");
  linux_only(30, "lab", "scenarios in Linux network namespaces");
  return true;
}();

}  // namespace

}  // namespace tw::cli
