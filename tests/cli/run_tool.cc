// SPDX-License-Identifier: Apache-2.0
#include "run_tool.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tw::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ToolResult run_tool(const std::string& args, const std::string& stdin_text) {
  char dir[] = "/tmp/twcli-XXXXXX";
  if (!mkdtemp(dir)) return {};
  std::string d = dir;
  std::ofstream(d + "/in") << stdin_text;
  std::string cmd = fmt::format("{} {} <{}/in >{}/out 2>{}/err", TIMEWAIT_BIN, args, d, d, d);
  int rc = std::system(cmd.c_str());
  ToolResult r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = read_file(d + "/out");
  r.err = read_file(d + "/err");
  std::system(fmt::format("rm -rf {}", d).c_str());
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
