// SPDX-License-Identifier: Apache-2.0
// Micro-benchmark of the census's own cost per socket (tw::Census::add through a SocketSink), on
// sockets shaped like bench/tw_factory's: mostly TIME_WAIT from 127.0.0.1 to 84 destinations,
// random source ports. Shows how much of `timewait census` is user space once the kernel's dump is
// subtracted, and which part of add() costs what.
//
//   census_add [--benchmark_filter=...]
#include <arpa/inet.h>
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "census/census.h"
#include "model/port_range.h"
#include "model/socket.h"

namespace {

std::vector<tw::Socket> make_sockets(size_t n) {
  std::mt19937 rng(7);
  std::vector<tw::Socket> v(n);
  for (size_t i = 0; i < n; ++i) {
    tw::Socket& s = v[i];
    bool est = i % 250 == 0;
    s.state = est ? tw::TcpState::kEstablished : tw::TcpState::kTimeWait;
    s.mini = !est;
    s.local.addr = tw::Address::v4(htonl(0x7f000001));
    uint32_t d = rng() % 84;
    s.remote.addr = tw::Address::v4(htonl((127u << 24) | (1u << 16) | (d / 4 + 1)));
    s.remote.port = static_cast<uint16_t>(20000 + d % 4);
    s.local.port = static_cast<uint16_t>(1024 + rng() % 64512);
    s.timer_ms = est ? -1 : static_cast<int64_t>(rng() % 60000);
  }
  return v;
}

const std::vector<tw::Socket>& sockets() {
  static const auto v = make_sockets(1 << 20);
  return v;
}

void run(benchmark::State& state, tw::GroupBy by, bool pool) {
  const auto& v = sockets();
  for (auto _ : state) {
    tw::CensusOptions o;
    o.by = by;
    if (pool) o.pool = tw::PortPool{1024, 65535, {}};
    tw::Census c(o);
    tw::SocketSink sink = [&](const tw::Socket& s) { c.add(s); };
    for (const auto& s : v) sink(s);
    benchmark::DoNotOptimize(c.total());
  }
  state.SetItemsProcessed(state.iterations() * v.size());
}

void BM_StateCountsWithPool(benchmark::State& s) { run(s, tw::GroupBy::kState, true); }
void BM_StateCountsNoPool(benchmark::State& s) { run(s, tw::GroupBy::kState, false); }
void BM_ByTupleWithPool(benchmark::State& s) { run(s, tw::GroupBy::kTuple, true); }

// The least a census must do per socket: a call through the sink and one counter.
void BM_SinkAndCounter(benchmark::State& state) {
  const auto& v = sockets();
  for (auto _ : state) {
    int64_t counts[16] = {};
    tw::SocketSink sink = [&](const tw::Socket& s) { counts[static_cast<int>(s.state)]++; };
    for (const auto& s : v) sink(s);
    benchmark::DoNotOptimize(counts);
  }
  state.SetItemsProcessed(state.iterations() * v.size());
}

BENCHMARK(BM_StateCountsWithPool)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateCountsNoPool)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ByTupleWithPool)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SinkAndCounter)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
