// SPDX-License-Identifier: Apache-2.0
// What `timewait trace` costs the traffic it watches: the lab's minimal blocking
// connect/write/read/close loop (one client/server namespace pair, wide port range) timed without
// the tracer, with `trace --summary` (in-kernel counting) and with streaming `trace --json`,
// interleaved per round so that other load hits all three alike. Targets: under 10 % for
// --summary, under 20 % for streaming. Also says whether the stream lost events.
//
//   trace_overhead [--seconds S] [--rounds N] [--timewait PATH]
//
// Needs root (network namespaces, BPF). Nothing on the host is changed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "lab/lab.h"
#include "lab/namespace.h"
#include "lab/scenario_churn.h"

namespace {

// `timewait trace ARGS` in the background until stop(): stderr through a pipe (to see it attach),
// stdout to a file whose last line is the stream's totals.
struct Tracer {
  pid_t pid = -1;
  int err_fd = -1;
  std::string out;

  bool start(const std::string& bin, std::vector<std::string> args) {
    out = "/tmp/twbench-trace-out." + std::to_string(getpid());
    int p[2];
    if (pipe(p) != 0) return false;
    pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(o, 1);
      dup2(p[1], 2);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(p[1]);
    err_fd = p[0];
    std::string said;
    char buf[256];
    ssize_t n;
    while (said.find("tracing TCP") == std::string::npos && (n = read(err_fd, buf, sizeof buf)) > 0)
      said.append(buf, n);
    if (said.find("tracing TCP") != std::string::npos) return true;
    std::fprintf(stderr, "trace_overhead: the tracer did not start: %s\n", said.c_str());
    return false;
  }
  // Stops it; returns the last line it printed.
  std::string stop() {
    kill(pid, SIGINT);
    waitpid(pid, nullptr, 0);
    close(err_fd);
    std::ifstream in(out, std::ios::ate);
    auto size = static_cast<std::streamoff>(in.tellg());
    in.seekg(std::max<std::streamoff>(0, size - 4096));
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    unlink(out.c_str());
    return last;
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int rounds = 3;
  std::string bin = TIMEWAIT_BIN;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--timewait")
      bin = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: trace_overhead [--seconds S] [--rounds N] [--timewait PATH]\n");
      return 2;
    }
  }
  if (auto st = tw::lab::check_privileges(); !st) {
    std::fprintf(stderr, "trace_overhead: %s\n", st.error().c_str());
    return 1;
  }
  tw::lab::remove_stale_namespaces();
  tw::lab::ChurnSetup setup;
  setup.port_low = 10000;
  setup.port_high = 60999;
  setup.seconds = seconds;
  setup.max_connects = 10000000;
  setup.blocking = true;

  const char* names[3] = {"no tracer", "trace --summary", "trace --json"};
  const std::vector<std::string> args[3] = {
      {}, {"trace", "--summary", "--netns", "all"}, {"trace", "--json", "--netns", "all"}};
  double sum[3] = {};
  std::vector<double> over[3];  // per round, %
  std::printf("%-6s %14s %18s %18s\n", "round", "no tracer/s", "--summary/s", "streaming/s");
  for (int r = 0; r < rounds; ++r) {
    double rate[3];
    for (int v = 0; v < 3; ++v) {
      Tracer t;
      if (v && !t.start(bin, args[v])) return 1;
      auto m = tw::lab::measure_churn(setup);
      std::string out = v ? t.stop() : "";
      if (!m) {
        std::fprintf(stderr, "trace_overhead: %s\n", m.error().c_str());
        return 1;
      }
      rate[v] = m->stats.rate();
      sum[v] += rate[v];
      if (v == 2) {
        // The stream's last line says what it delivered and lost.
        std::fprintf(stderr, "  round %d streaming: %s\n", r + 1, out.c_str());
      }
    }
    for (int v = 1; v < 3; ++v) over[v].push_back(100 * (1 - rate[v] / rate[0]));
    std::printf("%-6d %14.0f %11.0f %5.1f%% %11.0f %5.1f%%\n", r + 1, rate[0], rate[1],
                100 * (1 - rate[1] / rate[0]), rate[2], 100 * (1 - rate[2] / rate[0]));
  }
  double o1 = 100 * (1 - sum[1] / sum[0]), o2 = 100 * (1 - sum[2] / sum[0]);
  std::printf("mean   %14.0f %11.0f %5.1f%% %11.0f %5.1f%%\n", sum[0] / rounds, sum[1] / rounds, o1,
              sum[2] / rounds, o2);
  // The median round resists a burst of other load landing on one variant of one round.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty()      ? 0.0
           : v.size() % 2 ? v[v.size() / 2]
                          : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf(
      "overhead (mean of rates / median round): %s %.1f%% / %.1f%% (target < 10%%), %s "
      "%.1f%% / %.1f%% (target < 20%%)\n",
      names[1], o1, median(over[1]), names[2], o2, median(over[2]));
  return 0;
}
