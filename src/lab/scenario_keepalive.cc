// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_keepalive.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "lab/counters.h"
#include "lab/server.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "model/format.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

constexpr uint16_t kPersistentPort = 8083, kPerRequestPort = 8084;
using Clock = std::chrono::steady_clock;

bool ask(int fd) {
  char c = '?';
  return write(fd, &c, 1) == 1 && wait_readable(fd, 2000) && read(fd, &c, 1) == 1;
}

}  // namespace

Result<KeepaliveResult> measure_keepalive(int64_t n, double max_seconds) {
  KeepaliveResult k;
  k.requests = n;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  auto a = Server::start(topo->server(), {topo->server_addr(), kPersistentPort});
  if (!a) return fail(a.error());
  auto b = Server::start(topo->server(), {topo->server_addr(), kPerRequestPort});
  if (!b) return fail(b.error());
  Status result;
  // The two ways alternate in blocks, so that a change of load on the machine hits both alike.
  auto st = topo->client().run_in([&] {
    const std::string& addr = topo->server_addr();
    const int64_t block = std::max<int64_t>(1, n / 10);
    auto start = Clock::now();
    auto since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    auto fd = tcp_connect(addr, kPersistentPort);
    if (!fd) {
      result = fail(fd.error());
      return;
    }
    k.persistent_seconds += since(start);
    bool ok = true;
    while (ok && (k.persistent_requests < n || k.per_request_requests < n) &&
           since(start) < max_seconds && !stop_requested()) {
      auto t = Clock::now();
      for (int64_t i = 0; i < block && k.persistent_requests < n && (ok = ask(fd->get())); ++i)
        ++k.persistent_requests;
      k.persistent_seconds += since(t);
      t = Clock::now();
      for (int64_t i = 0; ok && i < block && k.per_request_requests < n; ++i) {
        auto c = tcp_connect(addr, kPerRequestPort);
        if (!c) {
          result = fail(c.error());
          return;
        }
        ok = ask(c->get());
        c->reset();
        if (ok) ++k.per_request_requests;
      }
      k.per_request_seconds += since(t);
    }
    fd->reset();
  });
  if (!st) return fail(st.error());
  if (!result) return fail(result.error());
  usleep(30000);
  auto census = take_census(topo->client(), GroupBy::kPeerPort);
  if (!census) return fail(census.error());
  k.persistent_time_wait = count_in(*census, TcpState::kTimeWait, 0, kPersistentPort);
  k.per_request_time_wait = count_in(*census, TcpState::kTimeWait, 0, kPerRequestPort);
  return k;
}

Result<ScenarioResult> run_keepalive(const LabOptions& o) {
  int64_t n = o.count > 0 ? std::min<int64_t>(o.count, 20000) : 2000;
  double max_seconds = o.duration > 0 ? o.duration : 10;
  auto k = measure_keepalive(n, max_seconds);
  if (!k) return fail(k.error());
  ScenarioResult r;
  r.name = "keepalive";
  r.title = "One persistent connection versus a new connection per request";
  double ratio = k->per_request_rate() > 0 ? k->persistent_rate() / k->per_request_rate() : 0;
  r.rows = {
      {"persistent: requests answered", with_commas(n),
       fmt::format("{} in {:.2f} s ({:.0f}/s)", with_commas(k->persistent_requests),
                   k->persistent_seconds, k->persistent_rate()),
       check(k->persistent_requests == n)},
      {"persistent: client TIME_WAIT", "1 (the one connection)",
       std::to_string(k->persistent_time_wait), check(k->persistent_time_wait == 1)},
      {"new connection per request: requests answered", with_commas(n),
       fmt::format("{} in {:.2f} s ({:.0f}/s)", with_commas(k->per_request_requests),
                   k->per_request_seconds, k->per_request_rate()),
       check(k->per_request_requests == n)},
      {"new connection per request: client TIME_WAIT",
       fmt::format("{} (one per request)", with_commas(n)), with_commas(k->per_request_time_wait),
       check(k->per_request_time_wait == n)},
      {"requests/s, persistent / per request", "> 1 (no handshake, no teardown)",
       fmt::format("{:.1f} x", ratio), check(ratio > 1)},
  };
  r.values = {{"persistent.requests", double(k->persistent_requests)},
              {"persistent.requests_per_second", k->persistent_rate()},
              {"persistent.client_time_wait", double(k->persistent_time_wait)},
              {"per_request.requests", double(k->per_request_requests)},
              {"per_request.requests_per_second", k->per_request_rate()},
              {"per_request.client_time_wait", double(k->per_request_time_wait)},
              {"ratio", ratio}};
  r.notes.push_back(
      "one-byte request, one-byte answer, the client closes; a new connection costs a "
      "three-way handshake, a four-segment teardown and a TIME_WAIT that holds a local port for "
      "60 s. HTTP keep-alive and connection pools remove both.");
  return r;
}

}  // namespace tw::lab
