// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_fin_timeout.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "lab/counters.h"
#include "lab/server.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

constexpr uint16_t kClosingPort = 8080;  // the lab server: closes after the client's FIN
constexpr uint16_t kHoldingPort = 8081;  // accepts and never closes: the client's FIN_WAIT2 stays
using Clock = std::chrono::steady_clock;

struct Timers {
  double time_wait = -1, fin_wait2 = -1;
};

Result<Timers> read_timers(const Netns& ns) {
  auto sockets =
      list_sockets(ns, StateMask::of(TcpState::kTimeWait) | StateMask::of(TcpState::kFinWait2));
  if (!sockets) return fail(sockets.error());
  Timers t;
  for (const Socket& s : *sockets) {
    const double left = s.timer_ms >= 0 ? s.timer_ms / 1000.0 : -1;
    if (s.state == TcpState::kTimeWait && s.remote.port == kClosingPort) t.time_wait = left;
    if (s.state == TcpState::kFinWait2 && s.remote.port == kHoldingPort) t.fin_wait2 = left;
  }
  return t;
}

}  // namespace

Result<FinTimeoutRun> measure_fin_timeout(int fin_timeout, bool watch) {
  FinTimeoutRun run;
  run.fin_timeout = fin_timeout;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  const Netns& c = topo->client();
  // Before any socket exists: a socket takes the namespace's value when it closes.
  if (auto st = c.set_sysctl("net.ipv4.tcp_fin_timeout", std::to_string(fin_timeout)); !st)
    return fail(st.error());
  auto server = Server::start(topo->server(), {topo->server_addr(), kClosingPort});
  if (!server) return fail(server.error());
  os::UniqueFd holder, held;
  Status result;
  auto st = topo->server().run_in([&] {
    auto fd = tcp_listen(topo->server_addr(), kHoldingPort, true);
    if (!fd)
      result = fail(fd.error());
    else
      holder = std::move(*fd);
  });
  if (!st || !result) return fail(!st ? st.error() : result.error());
  auto done = [&] {
    held.reset();
    holder.reset();
  };
  st = c.run_in([&] {
    auto a = tcp_connect(topo->server_addr(), kClosingPort);
    auto b = tcp_connect(topo->server_addr(), kHoldingPort);
    if (!a || !b) {
      result = fail(!a ? a.error() : b.error());
      return;
    }
    a->reset();
    b->reset();  // orphaned: FIN_WAIT2 once the server ACKs the FIN, which it does at once
  });
  if (st && result && wait_readable(holder.get(), 2000))
    held.reset(accept(holder.get(), nullptr, nullptr));
  if (!st || !result) {
    done();
    return fail(!st ? st.error() : result.error());
  }
  // Both transitions follow ACKs and FINs on a veth: give them a moment, bounded.
  Timers first;
  for (int i = 0; i < 40 && (first.time_wait < 0 || first.fin_wait2 < 0); ++i) {
    usleep(25000);
    auto t = read_timers(c);
    if (!t) {
      done();
      return fail(t.error());
    }
    first = *t;
  }
  run.time_wait_left_s = first.time_wait;
  run.fin_wait2_left_s = first.fin_wait2;
  if (watch && first.fin_wait2 >= 0) {
    const auto start = Clock::now();
    const double limit = fin_timeout + 3.0;
    while (!stop_requested()) {
      const double waited = std::chrono::duration<double>(Clock::now() - start).count();
      if (waited > limit) break;
      auto t = read_timers(c);
      if (!t) {
        done();
        return fail(t.error());
      }
      if (t->fin_wait2 < 0) {
        run.fin_wait2_gone_after_s = waited;
        run.time_wait_still_there = t->time_wait >= 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  done();
  return run;
}

Result<ScenarioResult> run_fin_timeout(const LabOptions& o) {
  ScenarioResult r;
  r.name = "fin-timeout";
  r.title = "tcp_fin_timeout: TIME_WAIT stays at 60 s; only an orphaned FIN_WAIT2 follows it";
  const int short_timeout =
      o.duration > 0 ? std::max(1, int(std::lround(std::min(o.duration, 50.0)))) : 5;
  for (auto [fin, watch] : {std::pair{short_timeout, true}, std::pair{60, false}}) {
    if (stop_requested()) return fail("interrupted");
    auto run = measure_fin_timeout(fin, watch);
    if (!run) return fail(run.error());
    const std::string label = fmt::format("tcp_fin_timeout={}", fin);
    const std::string key = fmt::format("fin_timeout{}.", fin);
    r.values[key + "time_wait_left_s"] = run->time_wait_left_s;
    r.values[key + "fin_wait2_left_s"] = run->fin_wait2_left_s;
    r.values[key + "fin_wait2_gone_after_s"] = run->fin_wait2_gone_after_s;
    auto left = [](double s) {
      return s < 0 ? std::string("not found") : fmt::format("{:.1f} s left", s);
    };
    // Timers are read within a second of the close: allow that much.
    r.rows.push_back({label + ": TIME_WAIT timer",
                      "60 s (TCP_TIMEWAIT_LEN), whatever tcp_fin_timeout is",
                      left(run->time_wait_left_s),
                      check(run->time_wait_left_s > 58 && run->time_wait_left_s <= 60)});
    r.rows.push_back({label + ": orphaned FIN_WAIT2 timer",
                      fmt::format("{} s (tcp_fin_timeout)", fin), left(run->fin_wait2_left_s),
                      check(run->fin_wait2_left_s > fin - 2 && run->fin_wait2_left_s <= fin)});
    if (watch)
      r.rows.push_back(
          {label + ": orphaned FIN_WAIT2 gone",
           fmt::format("after ~{} s, while the TIME_WAIT stays", fin),
           run->fin_wait2_gone_after_s < 0
               ? "still there"
               : fmt::format("after {:.1f} s; TIME_WAIT {}", run->fin_wait2_gone_after_s,
                             run->time_wait_still_there ? "still there" : "gone"),
           check(run->fin_wait2_gone_after_s >= fin - 2 && run->fin_wait2_gone_after_s <= fin + 3 &&
                 run->time_wait_still_there)});
  }
  r.notes.push_back(
      "client 10.77.1.1 -> 10.77.1.2: one connection to a server that closes after the client's "
      "FIN (the client keeps TIME_WAIT), one to a listener that never closes (the client's "
      "closed socket waits in FIN_WAIT2 for a FIN that never comes); timers read with inet_diag");
  r.notes.push_back(
      "Linux: TIME_WAIT is TCP_TIMEWAIT_LEN = 60 s, fixed at compile time; tcp_fin_timeout is "
      "how long an orphaned FIN_WAIT2 waits for the peer's FIN (kept as a mini-socket with "
      "substate FIN_WAIT2 when it is at most 60 s). Lowering it does not shorten TIME_WAIT.");
  return r;
}

}  // namespace tw::lab
