// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_who_closes.h"

#include <fmt/format.h>
#include <unistd.h>

#include "lab/counters.h"
#include "lab/server.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

constexpr uint16_t kClientFirstPort = 8080, kServerFirstPort = 8081;

// n request/answer exchanges, one connection each. With the server closing first the client
// reads the answer, then EOF, and closes last.
Status exchange(const Netns& client, const std::string& addr, uint16_t port, int64_t n) {
  Status result;
  auto st = client.run_in([&] {
    for (int64_t i = 0; i < n && !stop_requested(); ++i) {
      auto fd = tcp_connect(addr, port);
      if (!fd) {
        result = fail(fd.error());
        return;
      }
      char c = '?';
      int err = 0;
      bool ok = write_all(fd->get(), &c, 1) && wait_readable(fd->get(), 2000) &&
                read(fd->get(), &c, 1) == 1;
      if (ok && port == kServerFirstPort) ok = drain(fd->get(), 1, 2000, &err) == 0 && err == 0;
      fd->reset();
      if (!ok) {
        result = fail(fmt::format("exchange {} with {}:{} failed", i, addr, port));
        return;
      }
    }
  });
  if (!st) return st;
  return result;
}

}  // namespace

Result<WhoClosesCounts> measure_who_closes(int64_t n) {
  WhoClosesCounts w;
  w.connections = n;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  auto a = Server::start(topo->server(),
                         {topo->server_addr(), kClientFirstPort, CloseMode::kClientFirst});
  if (!a) return fail(a.error());
  auto b = Server::start(topo->server(),
                         {topo->server_addr(), kServerFirstPort, CloseMode::kServerFirst});
  if (!b) return fail(b.error());
  if (auto st = exchange(topo->client(), topo->server_addr(), kClientFirstPort, n); !st)
    return fail(st.error());
  if (auto st = exchange(topo->client(), topo->server_addr(), kServerFirstPort, n); !st)
    return fail(st.error());
  // Give the last FIN/ACK exchanges a moment to land before counting.
  usleep(50000);
  auto c = take_census(topo->client(), GroupBy::kPeerPort);
  if (!c) return fail(c.error());
  auto s = take_census(topo->server(), GroupBy::kLocalPort);
  if (!s) return fail(s.error());
  w.client_first_client_tw = count_in(*c, TcpState::kTimeWait, 0, kClientFirstPort);
  w.server_first_client_tw = count_in(*c, TcpState::kTimeWait, 0, kServerFirstPort);
  w.client_first_server_tw = count_in(*s, TcpState::kTimeWait, kClientFirstPort, 0);
  w.server_first_server_tw = count_in(*s, TcpState::kTimeWait, kServerFirstPort, 0);
  return w;
}

Result<ScenarioResult> run_who_closes(const LabOptions& o) {
  int64_t n = o.count > 0 ? std::min<int64_t>(o.count, 20000) : 200;
  auto w = measure_who_closes(n);
  if (!w) return fail(w.error());
  ScenarioResult r;
  r.name = "who-closes";
  r.title = "The active closer holds TIME_WAIT, the passive closer does not";
  std::string all = fmt::format("{} (one per connection)", n);
  r.rows = {
      {"client closes first: client TIME_WAIT", all, std::to_string(w->client_first_client_tw),
       check(w->client_first_client_tw == n)},
      {"client closes first: server TIME_WAIT", "0", std::to_string(w->client_first_server_tw),
       check(w->client_first_server_tw == 0)},
      {"server closes first (HTTP/1.0 style): server TIME_WAIT", all,
       std::to_string(w->server_first_server_tw), check(w->server_first_server_tw == n)},
      {"server closes first: client TIME_WAIT", "0", std::to_string(w->server_first_client_tw),
       check(w->server_first_client_tw == 0)},
  };
  r.values = {{"connections", double(n)},
              {"client_first.client_time_wait", double(w->client_first_client_tw)},
              {"client_first.server_time_wait", double(w->client_first_server_tw)},
              {"server_first.client_time_wait", double(w->server_first_client_tw)},
              {"server_first.server_time_wait", double(w->server_first_server_tw)}};
  r.notes.push_back(fmt::format(
      "{} connections each to 10.77.1.2:{} (server answers, waits for the client's FIN) and "
      ":{} (server answers and closes); counted with the census in each namespace",
      n, kClientFirstPort, kServerFirstPort));
  r.notes.push_back(
      "RFC 793: the side that sends the first FIN passes through FIN_WAIT and TIME_WAIT; the "
      "other goes CLOSE_WAIT -> LAST_ACK -> CLOSED. A server that closes first carries the "
      "TIME_WAIT of every client; ports are not at stake there (its local port is the listening "
      "one), memory and table size are.");
  return r;
}

}  // namespace tw::lab
