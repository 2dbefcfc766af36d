// SPDX-License-Identifier: Apache-2.0
// Times one run of a command for the census benchmark: wall time from fork to exit, and the
// largest resident set of the command or any process it waited for (wait4's ru_maxrss covers the
// whole pipeline of `sh -c 'a | b'`). Runs the command inside a network namespace without the cost
// of `ip netns exec` (which mounts /sys and would be timed too).
//
//   tw_timeit [--netns NAME] [--stdout FILE] -- PROGRAM ARGS...
//   tw_timeit [--netns NAME] [--stdout FILE] --sh 'SHELL PIPELINE'
//
// Prints "<seconds> <maxrss KiB> <exit status> <cpu seconds>" on stdout (cpu: user + system of
// the command and the processes it waited for, all its threads). The command's stdout goes to FILE
// (default /dev/null), its stderr is inherited.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::string netns, out = "/dev/null", sh;
  std::vector<char*> cmd;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--netns" && i + 1 < argc) {
      netns = argv[++i];
    } else if (a == "--stdout" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--sh" && i + 1 < argc) {
      sh = argv[++i];
    } else if (a == "--") {
      for (++i; i < argc; ++i) cmd.push_back(argv[i]);
    } else {
      std::fprintf(stderr,
                   "usage: tw_timeit [--netns NAME] [--stdout FILE] (--sh CMD | -- ARGV)\n");
      return 2;
    }
  }
  static char bin_sh[] = "/bin/sh", dash_c[] = "-c";
  if (!sh.empty()) cmd = {bin_sh, dash_c, sh.data()};
  if (cmd.empty()) {
    std::fprintf(stderr, "tw_timeit: no command\n");
    return 2;
  }
  cmd.push_back(nullptr);
  if (!netns.empty()) {
    std::string path = "/run/netns/" + netns;
    int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
      std::perror(("tw_timeit: " + path).c_str());
      return 2;
    }
    close(ns);
  }
  int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(("tw_timeit: " + out).c_str());
    return 2;
  }
  timespec t0{}, t1{};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("tw_timeit: fork");
    return 2;
  }
  if (pid == 0) {
    dup2(fd, 1);
    execvp(cmd[0], cmd.data());
    std::perror("tw_timeit: exec");
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) < 0) {
    std::perror("tw_timeit: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  std::printf("%.6f %ld %d %.6f\n", s, ru.ru_maxrss, code, secs(ru.ru_utime) + secs(ru.ru_stime));
  return 0;
}
