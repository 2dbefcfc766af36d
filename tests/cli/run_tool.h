// SPDX-License-Identifier: Apache-2.0
// Runs the real timewait binary for CLI tests and captures what it printed and its exit code.
#pragma once

#include <string>
#include <vector>

#include "testing/temp_dir.h"  // TempDir, read_text

namespace tw::testing {

struct ToolResult {
  int code = -1;
  std::string out, err;
};

// Runs `timewait ARGS` (ARGS is shell text) with stdout and stderr captured separately.
ToolResult run_tool(const std::string& args, const std::string& stdin_text = "");

// A bad invocation and a piece of the error it must print.
struct UsageCase {
  std::string args, says;
};

// Checks each case the way every usage error must look: exit code 2, one line on stderr that
// contains `says`, and nothing on stdout (never a partial result).
void expect_usage_errors(const std::vector<UsageCase>& cases);

}  // namespace tw::testing
