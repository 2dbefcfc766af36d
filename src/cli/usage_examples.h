// SPDX-License-Identifier: Apache-2.0
// Examples and exit statuses of each command: part of the command line's definition, shown by
// --help after the options and rendered as the man pages' EXAMPLES and EXIT STATUS sections
// (usage_definition), so the two cannot disagree.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "usage/command_line.h"

namespace tw::cli {

struct CommandUsage {
  std::string path;  // "" for the program, "census", "lab run"
  std::vector<usage::Example> examples;
  std::vector<usage::ExitStatus> exit_status;  // empty: the program's
};

// Every command's, the program's first.
const std::vector<CommandUsage>& command_usage();
const CommandUsage* find_command_usage(const std::string& path);

// Sets the --help footer of `root` and of every command below it that has examples or exit
// statuses of its own.
void add_usage_footers(CLI::App& root);

}  // namespace tw::cli
