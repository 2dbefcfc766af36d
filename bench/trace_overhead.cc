// SPDX-License-Identifier: Apache-2.0
// What `timewait trace` costs the traffic it watches: the lab's minimal blocking
// connect/write/read/close loop (one client/server namespace pair, wide port range) timed without
// the tracer, with `trace --summary` (in-kernel counting) and with streaming `trace --json`,
// interleaved per round so that other load hits all three alike. Targets: under 10 % for
// --summary, under 20 % for streaming. Also says whether the stream lost events.
//
//   trace_overhead [--seconds S] [--rounds N] [--timewait PATH] [--peer PATH]
//
// --peer runs another build's tracer in the same rounds (a change to the tracer against the
// build before it).
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
  std::string bin = TIMEWAIT_BIN, peer;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--timewait")
      bin = argv[i + 1];
    else if (a == "--peer")
      peer = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: trace_overhead [--seconds S] [--rounds N] [--timewait PATH] "
                   "[--peer PATH]\n");
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

  // --peer: another build's tracer (an earlier commit's) in the same rounds, so a change to the
  // tracer is measured against the build before it under the same load.
  struct Variant {
    std::string name, bin;
    std::vector<std::string> args;
    double target;  // % overhead
  };
  std::vector<Variant> variants{
      {"no tracer", "", {}, 0},
      {"trace --summary", bin, {"trace", "--summary", "--netns", "all"}, 10},
      {"trace --json", bin, {"trace", "--json", "--netns", "all"}, 20}};
  if (!peer.empty()) {
    variants.push_back({"peer --summary", peer, {"trace", "--summary", "--netns", "all"}, 10});
    variants.push_back({"peer --json", peer, {"trace", "--json", "--netns", "all"}, 20});
  }
  const size_t n = variants.size();
  std::vector<double> sum(n);
  std::vector<std::vector<double>> over(n);  // per round, %
  std::printf("%-6s", "round");
  for (auto& v : variants) std::printf(" %22s", (v.name + "/s").c_str());
  std::printf("\n");
  for (int r = 0; r < rounds; ++r) {
    std::vector<double> rate(n);
    for (size_t v = 0; v < n; ++v) {
      Tracer t;
      if (v && !t.start(variants[v].bin, variants[v].args)) return 1;
      auto m = tw::lab::measure_churn(setup);
      std::string out = v ? t.stop() : "";
      if (!m) {
        std::fprintf(stderr, "trace_overhead: %s\n", m.error().c_str());
        return 1;
      }
      rate[v] = m->stats.rate();
      sum[v] += rate[v];
      if (variants[v].name.ends_with("--json"))
        // The stream's last line says what it delivered and lost.
        std::fprintf(stderr, "  round %d %s: %s\n", r + 1, variants[v].name.c_str(), out.c_str());
    }
    std::printf("%-6d %22.0f", r + 1, rate[0]);
    for (size_t v = 1; v < n; ++v) {
      over[v].push_back(100 * (1 - rate[v] / rate[0]));
      std::printf(" %15.0f %5.1f%%", rate[v], over[v].back());
    }
    std::printf("\n");
  }
  std::printf("%-6s %22.0f", "mean", sum[0] / rounds);
  for (size_t v = 1; v < n; ++v)
    std::printf(" %15.0f %5.1f%%", sum[v] / rounds, 100 * (1 - sum[v] / sum[0]));
  std::printf("\n");
  // The median round resists a burst of other load landing on one variant of one round.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty()      ? 0.0
           : v.size() % 2 ? v[v.size() / 2]
                          : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf("overhead (mean of rates / median round):");
  for (size_t v = 1; v < n; ++v)
    std::printf("%s %s %.1f%% / %.1f%% (target < %.0f%%)", v > 1 ? "," : "",
                variants[v].name.c_str(), 100 * (1 - sum[v] / sum[0]), median(over[v]),
                variants[v].target);
  std::printf("\n");
  return 0;
}
