// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_linger0.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "lab/counters.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "model/format.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

constexpr uint16_t kPort = 8082;
// The receiver's small buffer keeps most of the data queued at the sender, and the receiver
// reads nothing until the sender has closed: the abort always finds data not yet delivered.
constexpr int kReceiverBuffer = 16 * 1024;
constexpr int kSenderBuffer = 4 * 1024 * 1024;

// Writes up to n bytes without blocking for more than a second in total; returns bytes accepted.
int64_t send_bounded(int fd, int64_t n) {
  std::vector<char> buf(65536, 'x');
  int64_t sent = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  while (sent < n && std::chrono::steady_clock::now() < deadline) {
    ssize_t w = write(fd, buf.data(), std::min<int64_t>(buf.size(), n - sent));
    if (w > 0) {
      sent += w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) break;
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, 50);
  }
  fcntl(fd, F_SETFL, 0);
  return sent;
}

Status run_phase(const Topology& topo, int listen_fd, bool linger0, int trials, int64_t bytes,
                 LingerPhase* ph) {
  auto before = read_counters(topo.client());
  if (!before) return fail(before.error());
  for (int t = 0; t < trials && !stop_requested(); ++t) {
    Result<os::UniqueFd> c = fail("not run");
    if (auto st = topo.client().run_in([&] {
          c = tcp_connect(topo.server_addr(), kPort);
          if (c) setsockopt(c->get(), SOL_SOCKET, SO_SNDBUF, &kSenderBuffer, sizeof kSenderBuffer);
        });
        !st)
      return st;
    if (!c) return fail(c.error());
    if (!wait_readable(listen_fd, 2000))
      return fail("the lab server did not see the connection within 2 s");
    os::UniqueFd s(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!s) return fail("accept failed in the lab server");
    ph->bytes_sent += send_bounded(c->get(), bytes);
    if (linger0) set_linger(c->get(), true, 0);
    c->reset();
    usleep(20000);  // let the RST (or the FIN behind the data) reach the receiver
    int err = 0;
    int64_t got = drain(s.get(), bytes, 2000, &err);
    s.reset();
    ph->bytes_received += got;
    ph->trials++;
    if (err == ECONNRESET) ph->econnreset++;
    if (got < bytes) ph->trials_losing++;
  }
  usleep(50000);
  auto after = read_counters(topo.client());
  if (!after) return fail(after.error());
  Counters d = *after - *before;
  ph->out_rsts = d.get("Tcp.OutRsts");
  ph->abort_on_data = d.get("TCPAbortOnData");
  ph->abort_on_close = d.get("TCPAbortOnClose");
  auto census = take_census(topo.client());
  if (!census) return fail(census.error());
  ph->client_time_wait = census->count(TcpState::kTimeWait);
  return {};
}

}  // namespace

Result<LingerResult> measure_linger0(int trials, int64_t bytes) {
  LingerResult r;
  // One pair per phase, so that the census of each starts from zero.
  for (bool linger0 : {true, false}) {
    auto topo = Topology::client_server();
    if (!topo) return fail(topo.error());
    Result<os::UniqueFd> l = fail("not run");
    if (auto st = topo->server().run_in(
            [&] { l = tcp_listen(topo->server_addr(), kPort, true, kReceiverBuffer); });
        !st)
      return fail(st.error());
    if (!l) return fail(l.error());
    Status st =
        run_phase(*topo, l->get(), linger0, trials, bytes, linger0 ? &r.linger0 : &r.normal);
    l->reset();
    if (!st) return fail(st.error());
  }
  return r;
}

Result<ScenarioResult> run_linger0(const LabOptions& o) {
  int trials = o.count > 0 ? int(std::min<int64_t>(o.count, 1000)) : 10;
  const int64_t bytes = 1 << 20;
  auto m = measure_linger0(trials, bytes);
  if (!m) return fail(m.error());
  const LingerPhase& a = m->linger0;
  const LingerPhase& n = m->normal;
  ScenarioResult r;
  r.name = "linger0";
  r.title = "SO_LINGER {on, 0}: no TIME_WAIT, an RST, and lost data";
  auto bytes_of = [](const LingerPhase& p) {
    return fmt::format("{} of {} bytes lost in {} of {} trials", with_commas(p.lost()),
                       with_commas(p.bytes_sent), p.trials_losing, p.trials);
  };
  r.rows = {
      {"linger 0: sender TIME_WAIT", "0 (the socket is destroyed at once)",
       std::to_string(a.client_time_wait), check(a.client_time_wait == 0)},
      {"linger 0: RSTs sent (Tcp OutRsts)", fmt::format(">= {} (one per close)", a.trials),
       fmt::format("{} (TCPAbortOnData {}, TCPAbortOnClose {})", a.out_rsts, a.abort_on_data,
                   a.abort_on_close),
       check(a.out_rsts >= a.trials)},
      {"linger 0: data lost by the receiver", "> 0: unsent and unread data is discarded",
       bytes_of(a), check(a.trials_losing > 0 && a.lost() > 0)},
      {"linger 0: bytes the receiver still read before the reset", "",
       fmt::format("{} per trial: what had reached its buffer",
                   with_commas(a.trials ? a.bytes_received / a.trials : 0)),
       Verdict::kInfo},
      {"linger 0: receiver read() failed with ECONNRESET", "in every trial",
       fmt::format("{} of {}", a.econnreset, a.trials), check(a.econnreset == a.trials)},
      {"normal close: sender TIME_WAIT", fmt::format("{} (one per connection)", n.trials),
       std::to_string(n.client_time_wait), check(n.client_time_wait == n.trials)},
      {"normal close: data lost by the receiver", "0 (FIN comes after the data)", bytes_of(n),
       check(n.lost() == 0 && n.econnreset == 0)},
  };
  for (auto [name, p] : {std::pair{"linger0", &a}, {"normal", &n}}) {
    r.values[std::string(name) + ".trials"] = p->trials;
    r.values[std::string(name) + ".bytes_sent"] = double(p->bytes_sent);
    r.values[std::string(name) + ".bytes_lost"] = double(p->lost());
    r.values[std::string(name) + ".trials_losing"] = p->trials_losing;
    r.values[std::string(name) + ".econnreset"] = p->econnreset;
    r.values[std::string(name) + ".sender_time_wait"] = double(p->client_time_wait);
    r.values[std::string(name) + ".out_rsts"] = double(p->out_rsts);
  }
  r.notes.push_back(fmt::format(
      "each trial: the client writes up to {} bytes to a receiver with SO_RCVBUF {} that reads "
      "nothing until the client has closed; then the receiver reads until EOF or error",
      with_commas(bytes), with_commas(kReceiverBuffer)));
  r.notes.push_back(
      "close() with linger {on, 0} calls tcp_disconnect: the send queue is dropped and an RST "
      "sent (TCPAbortOnData). The bytes still queued at the sender are lost. Linux does not purge "
      "the receiver's queue on an RST: what had arrived is still read, then read() fails with "
      "ECONNRESET. Use linger 0 only to drop a connection on purpose, never to avoid TIME_WAIT "
      "(V. Bernat 2014).");
  return r;
}

}  // namespace tw::lab
