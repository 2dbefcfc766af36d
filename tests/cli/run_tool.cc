// SPDX-License-Identifier: Apache-2.0
#include "run_tool.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tw::testing {

ToolResult run_tool(const std::string& args, const std::string& stdin_text) {
  TempDir d("twcli");
  if (!d.ok()) return {};
  d.write("in", stdin_text);
  std::string cmd =
      fmt::format("{} {} <{}/in >{}/out 2>{}/err", TIMEWAIT_BIN, args, d.path, d.path, d.path);
  int rc = std::system(cmd.c_str());
  ToolResult r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = read_text(d / "out");
  r.err = read_text(d / "err");
  return r;
}

void expect_usage_errors(const std::vector<UsageCase>& cases) {
  for (auto& c : cases) {
    SCOPED_TRACE(c.args);
    auto r = run_tool(c.args);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace tw::testing
