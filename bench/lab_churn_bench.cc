// SPDX-License-Identifier: Apache-2.0
// Is the lab's churn generator fast enough that the kernel, not the generator, sets the pace?
// Compares the epoll generator (lab/churn_client.h) with a minimal blocking
// connect/write/read/close loop, each in a fresh client/server namespace pair with a wide port
// range, alternating for several rounds, and prints connections per second and the ratio
// (goal: >= 90 %).
//
//   lab_churn_bench [--seconds S] [--rounds N]
//
// Needs root (network namespaces). Nothing on the host is changed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lab/lab.h"
#include "lab/namespace.h"
#include "lab/scenario_churn.h"

int main(int argc, char** argv) {
  double seconds = 2;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: lab_churn_bench [--seconds S] [--rounds N]\n");
      return 2;
    }
  }
  if (auto st = tw::lab::check_privileges(); !st) {
    std::fprintf(stderr, "lab_churn_bench: %s\n", st.error().c_str());
    return 1;
  }
  tw::lab::remove_stale_namespaces();
  tw::lab::ChurnSetup setup;
  setup.port_low = 10000;
  setup.port_high = 60999;
  setup.seconds = seconds;
  setup.max_connects = 10000000;
  double sum_epoll = 0, sum_blocking = 0;
  std::printf("%-6s %14s %14s %7s\n", "round", "epoll conn/s", "blocking conn/s", "ratio");
  for (int r = 0; r < rounds; ++r) {
    double rate[2];
    for (int blocking = 0; blocking < 2; ++blocking) {
      setup.blocking = blocking;
      auto v = tw::lab::measure_churn(setup);
      if (!v) {
        std::fprintf(stderr, "lab_churn_bench: %s\n", v.error().c_str());
        return 1;
      }
      if (v->stats.eaddrnotavail || v->stats.other_errors)
        std::fprintf(stderr, "note: %lld EADDRNOTAVAIL, %lld other errors (%s)\n",
                     (long long)v->stats.eaddrnotavail, (long long)v->stats.other_errors,
                     v->stats.first_other_error.c_str());
      rate[blocking] = v->stats.rate();
    }
    sum_epoll += rate[0];
    sum_blocking += rate[1];
    std::printf("%-6d %14.0f %14.0f %6.0f%%\n", r + 1, rate[0], rate[1], 100 * rate[0] / rate[1]);
  }
  std::printf("mean   %14.0f %14.0f %6.0f%%  (goal >= 90%%)\n", sum_epoll / rounds,
              sum_blocking / rounds, 100 * sum_epoll / sum_blocking);
  return 0;
}
