// SPDX-License-Identifier: Apache-2.0
// How subcommands plug into the `timewait` binary: each cmd_*.cc file registers itself with a
// static Register object, so adding a subcommand touches no shared file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace tw::cli {

// Exit codes shared by all subcommands (documented in README "Exit status").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (I/O, kernel refused, ...)
inline constexpr int kExitUsage = 2;    // bad input: unknown name, missing file, bad option value

// Adds a subcommand to `app` and returns it with the function that runs it after parsing.
using Setup = std::function<std::pair<CLI::App*, std::function<int()>>(CLI::App& app)>;

struct Register {
  Register(int order, Setup setup);  // order: position in --help
};

// "timewait: error: <message>" on stderr; returns kExitUsage or the code given.
int error(std::string_view message, int code = kExitUsage);
void note(std::string_view message);  // "timewait: note: ..." on stderr

}  // namespace tw::cli
