// SPDX-License-Identifier: Apache-2.0
#include "background_tool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace tw::testing {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

BackgroundTool::BackgroundTool(const std::vector<std::string>& args) {
  if (!dir_.ok()) return;
  const std::string out = dir_ / "out", err = dir_ / "err";
  pid_ = fork();
  if (pid_ == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int n = open("/dev/null", O_RDONLY);
    dup2(n, 0);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> argv{const_cast<char*>(TIMEWAIT_BIN)};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(TIMEWAIT_BIN, argv.data());
    _exit(127);
  }
}

BackgroundTool::~BackgroundTool() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool BackgroundTool::wait_for_stderr(const std::string& text, double seconds) {
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end && pid_ > 0) {
    if (read_text(dir_ / "err").find(text) != std::string::npos) return true;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return read_text(dir_ / "err").find(text) != std::string::npos;
}

std::string BackgroundTool::stdout_so_far() const { return read_text(dir_ / "out"); }

ToolResult BackgroundTool::finish(double seconds) {
  ToolResult r;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (pid_ > 0) {
    pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      pid_ = -1;
      break;
    }
    if (Clock::now() >= end) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.out = read_text(dir_ / "out");
  r.err = read_text(dir_ / "err");
  return r;
}

ToolResult BackgroundTool::stop(int signal, double seconds) {
  if (pid_ > 0) kill(pid_, signal);
  return finish(seconds);
}

ToolResult BackgroundTool::interrupt(double seconds) { return stop(SIGINT, seconds); }

ToolResult BackgroundTool::terminate(double seconds) { return stop(SIGTERM, seconds); }

}  // namespace tw::testing
