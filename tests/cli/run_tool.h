// Runs the real timewait binary for CLI tests and captures what it printed and its exit code.
#pragma once

#include <string>

namespace tw::testing {

struct ToolResult {
  int code = -1;
  std::string out, err;
};

// Runs `timewait ARGS` (ARGS is shell text) with stdout and stderr captured separately.
ToolResult run_tool(const std::string& args, const std::string& stdin_text = "");

}  // namespace tw::testing
