// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_lost_last_ack.h"

#include <fmt/format.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "lab/counters.h"
#include "lab/nft_table.h"
#include "lab/sockets.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kLastAckPort = 8080;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// In the client's namespace. `armed` holds the client ports whose next pure ACK to the server is
// dropped; the rule that drops it moves the port to `answered` in the kernel, in the same packet
// (moving it from here raced the retransmitted FIN on a busy machine), and the pure ACKs it sends
// from then on are the ones TIME_WAIT sends in answer to the retransmitted FIN.
std::string rules(const std::string& server) {
  return fmt::format(R"(
  set armed {{ type inet_service; flags dynamic; }}
  set answered {{ type inet_service; flags dynamic; }}
  counter final_ack_dropped {{ }}
  counter tw_ack {{ }}
  counter server_fin {{ }}
  chain out {{
    type filter hook output priority 0; policy accept;
    ip daddr {0} tcp dport {1} tcp sport @armed tcp flags == ack add @answered {{ tcp sport }} delete @armed {{ tcp sport }} counter name final_ack_dropped drop
    ip daddr {0} tcp dport {1} tcp sport @answered tcp flags == ack counter name tw_ack
  }}
  chain in {{
    type filter hook input priority 0; policy accept;
    ip saddr {0} tcp sport {1} tcp flags & fin == fin counter name server_fin
  }})",
                     server, kLastAckPort);
}

int tcp_state(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  return info.tcpi_state;
}

struct Pair {
  os::UniqueFd client, server;
};

Result<Pair> connect_pair(const Netns& client, const std::string& addr, int listen_fd) {
  Result<os::UniqueFd> c = fail("not run");
  if (auto st = client.run_in([&] { c = tcp_connect(addr, kLastAckPort); }); !st)
    return fail(st.error());
  if (!c) return fail(c.error());
  if (!wait_readable(listen_fd, 2000))
    return fail("the lab server accepted no connection within 2 s");
  os::UniqueFd s(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!s) return fail(fmt::format("accept: {}", std::strerror(errno)));
  return Pair{std::move(*c), std::move(s)};
}

// Polls the drop counter until it reaches `target` (the final ACK left the client and was
// dropped), at most `ms`.
Result<bool> wait_counter(const NftTable& t, const char* name, int64_t target, int ms) {
  auto t0 = Clock::now();
  while (ms_since(t0) < ms) {
    auto n = t.counter(name);
    if (!n) return fail(n.error());
    if (*n >= target) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace

Result<LostAckOutcome> measure_lost_last_ack(int trials) {
  LostAckOutcome o;
  o.trials = trials;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  const Netns& c = topo->client();
  const Netns& s = topo->server();
  const std::string addr = topo->server_addr();
  auto table = NftTable::load(c, "ip twlab_lla", rules(addr));
  if (!table) return fail(table.error());

  Result<os::UniqueFd> lfd = fail("not run");
  if (auto st = s.run_in([&] { lfd = tcp_listen(addr, kLastAckPort, true); }); !st)
    return fail(st.error());
  if (!lfd) return fail(lfd.error());

  auto c0 = read_counters(c);
  auto s0 = read_counters(s);
  if (!c0 || !s0) return fail(!c0 ? c0.error() : s0.error());

  double close_ms_total = 0;
  for (int i = 0; i < trials && !stop_requested(); ++i) {
    auto p = connect_pair(c, addr, lfd->get());
    if (!p) return fail(p.error());
    std::string port = std::to_string(local_port_of(p->client.get()));
    if (auto st = (*table)->add_element("armed", port); !st) {
      p->client.reset();
      p->server.reset();
      return fail(st.error());
    }
    p->client.reset();  // FIN: the client is the active closer
    char b;
    bool eof = wait_readable(p->server.get(), 2000) && read(p->server.get(), &b, 1) == 0;
    auto t0 = Clock::now();
    // shutdown rather than close: the passive side keeps its descriptor and can see how its
    // connection ended (SO_ERROR) once it leaves LAST_ACK.
    shutdown(p->server.get(), SHUT_WR);
    auto dropped = wait_counter(**table, "final_ack_dropped", i + 1, 3000);
    int state = tcp_state(p->server.get());
    while (state != TCP_CLOSE && state != -1 && ms_since(t0) < 3000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      state = tcp_state(p->server.get());
    }
    close_ms_total += ms_since(t0);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(p->server.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    p->server.reset();
    if (!dropped) return fail(dropped.error());
    if (eof && state == TCP_CLOSE && err == 0)
      ++o.clean_closes;
    else
      ++o.close_errors;
  }
  if (trials > 0) o.mean_close_ms = close_ms_total / trials;

  auto c1 = read_counters(c);
  auto s1 = read_counters(s);
  if (!c1 || !s1) return fail(!c1 ? c1.error() : s1.error());
  o.server_retransmits = (*s1 - *s0).get("Tcp.RetransSegs");
  o.client_resets_sent = (*c1 - *c0).get("Tcp.OutRsts");
  for (auto [name, out] :
       {std::pair{"final_ack_dropped", &o.final_acks_dropped},
        std::pair{"tw_ack", &o.acks_from_time_wait}, std::pair{"server_fin", &o.server_fins}}) {
    auto n = (*table)->counter(name);
    if (!n) return fail(n.error());
    *out = *n;
  }
  auto cc = take_census(c, GroupBy::kPeerPort);
  if (!cc) return fail(cc.error());
  o.client_time_wait = count_in(*cc, TcpState::kTimeWait, 0, kLastAckPort);
  auto sc = take_census(s, GroupBy::kLocalPort);
  if (!sc) return fail(sc.error());
  o.server_not_closed = count_in(*sc, TcpState::kLastAck, kLastAckPort, 0) +
                        count_in(*sc, TcpState::kCloseWait, kLastAckPort, 0) +
                        count_in(*sc, TcpState::kEstablished, kLastAckPort, 0);

  // The active closer aborts: SO_LINGER with a zero timeout turns close() into an RST.
  for (int i = 0; i < trials && !stop_requested(); ++i) {
    auto p = connect_pair(c, addr, lfd->get());
    if (!p) return fail(p.error());
    set_linger(p->client.get(), true, 0);
    p->client.reset();
    char b;
    errno = 0;
    ssize_t r = wait_readable(p->server.get(), 2000) ? read(p->server.get(), &b, 1) : -2;
    if (r < 0 && errno == ECONNRESET)
      ++o.resets_seen;
    else
      ++o.linger_other;
    p->server.reset();
  }
  auto c2 = read_counters(c);
  if (!c2) return fail(c2.error());
  o.linger_resets_sent = (*c2 - *c1).get("Tcp.OutRsts");
  auto cc2 = take_census(c, GroupBy::kPeerPort);
  if (!cc2) return fail(cc2.error());
  o.linger_client_time_wait =
      count_in(*cc2, TcpState::kTimeWait, 0, kLastAckPort) - o.client_time_wait;
  return o;
}

Result<ScenarioResult> run_lost_last_ack(const LabOptions& options) {
  ScenarioResult r;
  r.name = "lost-last-ack";
  r.title = "The active closer's final ACK is lost: TIME_WAIT answers the retransmitted FIN";
  int k = options.count > 0 ? int(std::min<int64_t>(options.count, 200)) : 5;
  auto o = measure_lost_last_ack(k);
  if (!o) return fail(o.error());
  auto of = [&](int64_t n) { return fmt::format("{} of {}", n, o->trials); };
  r.rows.push_back({"final ACKs dropped by the nftables rule (once per connection)", of(o->trials),
                    of(o->final_acks_dropped), check(o->final_acks_dropped == o->trials)});
  r.rows.push_back({"FINs of the passive side that reached the active closer",
                    fmt::format("{} (each FIN sent twice: once more after the RTO)", 2 * o->trials),
                    std::to_string(o->server_fins), check(o->server_fins == 2 * o->trials)});
  r.rows.push_back({"passive side: segments retransmitted (Tcp RetransSegs)",
                    fmt::format(">= {} (the FIN)", o->trials),
                    std::to_string(o->server_retransmits),
                    check(o->server_retransmits >= o->trials)});
  r.rows.push_back({"ACKs sent from TIME_WAIT in answer to the retransmitted FIN",
                    fmt::format(">= {}", o->trials), std::to_string(o->acks_from_time_wait),
                    check(o->acks_from_time_wait >= o->trials)});
  r.rows.push_back({"passive side closed cleanly (left LAST_ACK, SO_ERROR 0)", of(o->trials),
                    fmt::format("{}, {} with an error; {:.0f} ms from its FIN to CLOSE on average "
                                "(one RTO)",
                                of(o->clean_closes), o->close_errors, o->mean_close_ms),
                    check(o->clean_closes == o->trials)});
  r.rows.push_back({"active closer: TIME_WAIT sockets (census)", of(o->trials),
                    of(o->client_time_wait), check(o->client_time_wait == o->trials)});
  r.rows.push_back({"RSTs sent by the active closer", "0", std::to_string(o->client_resets_sent),
                    check(o->client_resets_sent == 0)});
  r.rows.push_back({"passive side sockets left open (LAST_ACK, CLOSE_WAIT)", "0",
                    std::to_string(o->server_not_closed), check(o->server_not_closed == 0)});
  r.rows.push_back({"SO_LINGER 0: RSTs sent by the active closer", of(o->trials),
                    of(o->linger_resets_sent), check(o->linger_resets_sent == o->trials)});
  r.rows.push_back({"SO_LINGER 0: passive side's read() fails with ECONNRESET", of(o->trials),
                    fmt::format("{}, {} saw something else", of(o->resets_seen), o->linger_other),
                    check(o->resets_seen == o->trials)});
  r.rows.push_back({"SO_LINGER 0: active closer TIME_WAIT sockets", "0",
                    std::to_string(o->linger_client_time_wait),
                    check(o->linger_client_time_wait == 0)});
  r.values = {{"trials", o->trials},
              {"final_acks_dropped", double(o->final_acks_dropped)},
              {"server_fins", double(o->server_fins)},
              {"acks_from_time_wait", double(o->acks_from_time_wait)},
              {"server_retransmits", double(o->server_retransmits)},
              {"clean_closes", o->clean_closes},
              {"mean_close_ms", o->mean_close_ms},
              {"client_time_wait", double(o->client_time_wait)},
              {"linger0.resets_seen", o->resets_seen},
              {"linger0.client_time_wait", double(o->linger_client_time_wait)}};
  r.notes.push_back(
      "nftables table ip twlab_lla in the client namespace drops the client's first pure ACK of "
      "each connection after its close (the final ACK) and counts what follows; netem is not "
      "needed");
  r.notes.push_back(
      "RFC 793 and RFC 1122 4.2.2.13: TIME_WAIT (2 MSL; 60 s on Linux) keeps the connection's "
      "state so that a retransmitted FIN is acknowledged again instead of answered with an RST. "
      "SO_LINGER 0 skips TIME_WAIT by aborting: the peer sees ECONNRESET, and unread or unsent "
      "data is lost. Use it only as an exception (V. Bernat, 2014).");
  return r;
}

}  // namespace tw::lab
