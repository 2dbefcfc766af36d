// SPDX-License-Identifier: Apache-2.0
// Runs the real timewait binary in the background (a tracer that must be running while a test
// makes traffic), then stops it with SIGINT as a user's Ctrl-C would.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "run_tool.h"

namespace tw::testing {

class BackgroundTool {
 public:
  explicit BackgroundTool(const std::vector<std::string>& args);
  ~BackgroundTool();  // kills the tool if still running
  BackgroundTool(const BackgroundTool&) = delete;
  BackgroundTool& operator=(const BackgroundTool&) = delete;

  // Waits (bounded) until stderr contains `text`; false if the tool exited or time ran out.
  bool wait_for_stderr(const std::string& text, double seconds = 30);
  // What the tool has written to standard output so far (it may still be running).
  std::string stdout_so_far() const;
  // Sends SIGINT and waits (bounded) for the exit; kills it after `seconds`.
  ToolResult interrupt(double seconds = 30);
  // Sends SIGTERM (as systemctl stop does) and waits (bounded); kills it after `seconds`.
  ToolResult terminate(double seconds = 30);
  // Sends `signal` and waits (bounded); kills it after `seconds`.
  ToolResult stop(int signal, double seconds = 30);
  // Waits for the tool to end by itself (bounded); kills it after `seconds`.
  ToolResult finish(double seconds = 60);
  pid_t pid() const { return pid_; }  // the timewait process (its /proc entry: RSS, fds)

 private:
  pid_t pid_ = -1;
  TempDir dir_{"twbg"};  // its stdout and stderr
};

}  // namespace tw::testing
