// SPDX-License-Identifier: Apache-2.0
#include "lab/port_exhaustion.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "lab/counters.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "os/unique_fd.h"

namespace tw::lab {

Result<ExhaustStats> run_until_exhausted(const Netns& client, const ExhaustConfig& c) {
  if (c.dests.empty()) return fail("no destination to connect to");
  using Clock = std::chrono::steady_clock;
  ExhaustStats out;
  auto st = client.run_in([&] {
    const auto start = Clock::now();
    auto since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    for (int64_t i = 0; i < c.max_connects && since(start) < c.max_seconds && !stop_requested();
         ++i) {
      const auto& [addr, port] = c.dests[i % c.dests.size()];
      ConnectOptions o;
      o.range_low = c.range_low;
      o.range_high = c.range_high;
      if (c.bind != BindMode::kNone && !c.sources.empty()) {
        o.bind_addr = c.sources[i % c.sources.size()];
        o.bind_address_no_port = c.bind == BindMode::kBindNoPort;
      }
      const auto t = Clock::now();
      auto fd = tcp_connect(addr, port, o);
      if (!fd) {
        const int err = errno;
        ++out.failures;
        if (!out.failed()) {
          out.first_errno = err ? err : -1;
          out.first_error = fd.error();
          out.before_failure = out.connects;
        }
        if (c.stop_at_failure) break;
        continue;
      }
      out.connect_us.push_back(since(t) * 1e6);
      out.ports.push_back(local_port_of(fd->get()));
      // One request and its answer: the server has taken the connection, so its FIN follows
      // the client's at once and the port goes straight to TIME_WAIT.
      char c = '?';
      if (write(fd->get(), &c, 1) == 1 && wait_readable(fd->get(), 2000))
        (void)!read(fd->get(), &c, 1);
      fd->reset();  // the client closes first: its port stays in TIME_WAIT
      ++out.connects;
    }
    out.seconds = since(start);
  });
  if (!st) return fail(st.error());
  if (!out.failed()) out.before_failure = out.connects;
  // Closing sockets still waiting for the server's FIN become TIME_WAITs within moments; a
  // loaded machine can delay that, so wait for them (bounded) before counting.
  for (int i = 0; i < 40; ++i) {
    auto census = take_census(client);
    if (!census) return fail(census.error());
    out.client_time_wait = census->count(TcpState::kTimeWait);
    if (census->count(TcpState::kFinWait1) + census->count(TcpState::kFinWait2) == 0) break;
    usleep(50000);
  }
  return out;
}

Result<ExhaustPair> exhaust_pair(int low, int high, int server_ports) {
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  ExhaustPair pair{std::move(*topo), {}, {}};
  if (auto st = pair.topo.client().set_sysctl("net.ipv4.ip_local_port_range",
                                              fmt::format("{} {}", low, high));
      !st)
    return fail(st.error());
  for (int i = 0; i < server_ports; ++i) {
    const uint16_t port = static_cast<uint16_t>(kExhaustFirstPort + i);
    auto server = Server::start(pair.topo.server(), {pair.topo.server_addr(), port});
    if (!server) return fail(server.error());
    pair.servers.push_back(std::move(*server));
    pair.dests.emplace_back(pair.topo.server_addr(), port);
  }
  return pair;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace tw::lab
