// SPDX-License-Identifier: Apache-2.0
// The `timewait` command line as usage::Command, read from the CLI11 app that `--help` prints,
// with what each value may be, for the man pages (`help-man`) and completions (`completion`).
#pragma once

#include <CLI/CLI.hpp>

#include "usage/command_line.h"

namespace tw::cli {

// Hidden commands (group "") are left out: they are not for users.
usage::Command usage_definition(const CLI::App& app);

}  // namespace tw::cli
