// SPDX-License-Identifier: Apache-2.0
// Where the time of a live source goes, in this process (run it inside the namespace to measure:
// `ip netns exec NS bench/source_split [REPS]`): the inet_diag dump, the BPF iterator, and the
// iterator with a state mask nothing matches (its fixed cost - load, verify, attach - plus the
// kernel's walk, with no record copied). Wall and CPU time (user + system) of each, min of REPS.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <limits>
#include <vector>

#include "sources/netlink_diag.h"
#include "sources/tcp_iter.h"

namespace {

struct Time {
  double wall = std::numeric_limits<double>::max(), cpu = std::numeric_limits<double>::max();
  int64_t sockets = 0;
};

double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

void measure(Time* t, const std::function<tw::DumpResult()>& f) {
  const double c0 = cpu_seconds();
  const auto w0 = std::chrono::steady_clock::now();
  tw::DumpResult r = f();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  if (r.failure != tw::DumpFailure::kNone) {
    fmt::print(stderr, "source_split: {}\n", r.message);
    std::exit(1);
  }
  t->wall = std::min(t->wall, wall);
  t->cpu = std::min(t->cpu, cpu_seconds() - c0);
  t->sockets = r.sockets;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  using tw::BpfReader;
  struct Row {
    const char* name;
    std::function<tw::DumpResult(const tw::SocketSink&)> read;
    Time t;
  };
  auto bpf = [](BpfReader reader, tw::StateMask mask, int walkers = 0) {
    return [=](const tw::SocketSink& sink) {
      return tw::read_tcp_iter(mask, sink, {.reader = reader, .walkers = walkers});
    };
  };
  std::vector<Row> rows = {
      {"inet_diag dump",
       [](const tw::SocketSink& s) { return tw::dump_inet_diag(tw::StateMask::all(), s); }},
      {"bpf hash walk", bpf(BpfReader::kWalk, tw::StateMask::all())},
      {"bpf hash walk, 1 walker", bpf(BpfReader::kWalk, tw::StateMask::all(), 1)},
      {"bpf hash walk, no match", bpf(BpfReader::kWalk, tw::StateMask{0})},
      {"bpf iterator", bpf(BpfReader::kIterator, tw::StateMask::all())},
      {"bpf iterator, no match", bpf(BpfReader::kIterator, tw::StateMask{0})},
  };
  int64_t n = 0;
  auto count = [&](const tw::Socket&) { ++n; };
  for (int i = 0; i < reps; ++i)
    for (Row& r : rows) measure(&r.t, [&] { return r.read(count); });
  fmt::print("{:<28} {:>9} {:>9} {:>9}\n", "min of " + std::to_string(reps), "wall s", "cpu s",
             "sockets");
  for (const Row& r : rows)
    fmt::print("{:<28} {:>9.4f} {:>9.4f} {:>9}\n", r.name, r.t.wall, r.t.cpu, r.t.sockets);
}
