// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_syn_into_timewait.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "lab/counters.h"
#include "lab/packets.h"
#include "lab/sockets.h"
#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

constexpr uint16_t kSynClientPort = 2345, kSynServerPort = 9100;

// What the server's TIME_WAIT remembers of the client: the next sequence number it expects and
// the last timestamp it saw, taken from the captured client packets.
struct Remembered {
  uint32_t rcv_nxt = 0;
  uint32_t tsval = 0;
};

class Experiment {
 public:
  Experiment(Topology topo, Capture cap, os::UniqueFd listener)
      : topo_(std::move(topo)), cap_(std::move(cap)), listener_(std::move(listener)) {}

  // A connection from client port 2345 that the server closes first, leaving the server in
  // TIME_WAIT. Returns the connect() time; *answer gets the server's answer to the SYN.
  Result<double> connection_then_server_tw(std::string* answer, Remembered* mem) {
    cap_.take();
    auto t0 = std::chrono::steady_clock::now();
    Result<os::UniqueFd> c = fail("not run");
    if (auto st = topo_.client().run_in([&] {
          c = tcp_connect(topo_.server_addr(), kSynServerPort,
                          {.local_port = kSynClientPort, .reuseaddr = true, .timeout_ms = 3000});
        });
        !st)
      return fail(st.error());
    if (!c) return fail(c.error());
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!wait_readable(listener_.get(), 2000)) {
      c->reset();
      return fail("the server did not accept the connection within 2 s");
    }
    os::UniqueFd s(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char q = '?';
    write_all(c->get(), &q, 1);
    int err = 0;
    drain(s.get(), 1, 2000, &err);
    s.reset();  // the server closes first
    drain(c->get(), 1, 2000, &err);
    c->reset();
    usleep(30000);
    *mem = {};
    bool first_answer = true;
    for (const TcpPacket& p : cap_.take()) {
      if (p.outgoing && p.sport == kSynServerPort && p.dport == kSynClientPort && first_answer) {
        *answer = p.describe();
        first_answer = false;
      }
      if (!p.outgoing && p.sport == kSynClientPort) {
        uint32_t end = p.seq + p.payload + (p.fin() ? 1 : 0) + (p.syn() ? 1 : 0);
        if (int32_t(end - mem->rcv_nxt) > 0 || mem->rcv_nxt == 0) mem->rcv_nxt = end;
        if (p.has_ts) mem->tsval = p.tsval;
      }
    }
    return ms;
  }

  Result<int64_t> server_time_wait() {
    auto census = take_census(topo_.server(), GroupBy::kPeerPort);
    if (!census) return fail(census.error());
    return count_in(*census, TcpState::kTimeWait, 0, kSynClientPort);
  }

  Result<SynAnswer> probe(const std::string& label, bool expect_accept, bool timestamps,
                          int64_t seq_delta, int64_t ts_delta) {
    SynAnswer a;
    a.label = label;
    a.expect_accept = expect_accept;
    std::string ignored;
    Remembered mem;
    if (auto r = connection_then_server_tw(&ignored, &mem); !r) return fail(r.error());
    auto tw = server_time_wait();
    if (!tw) return fail(tw.error());
    if (*tw != 1) return fail(fmt::format("expected 1 TIME_WAIT on the server, found {}", *tw));
    auto before = read_counters(topo_.server());
    if (!before) return fail(before.error());
    SynProbe p{topo_.client_addr(),
               topo_.server_addr(),
               kSynClientPort,
               kSynServerPort,
               uint32_t(mem.rcv_nxt + seq_delta),
               timestamps,
               uint32_t(mem.tsval + ts_delta)};
    if (auto st = send_raw_syn(topo_.client(), p); !st) return fail(st.error());
    a.answer = "none";
    for (const TcpPacket& pk : cap_.take(300)) {
      if (!pk.outgoing || pk.sport != kSynServerPort || pk.dport != kSynClientPort) continue;
      a.answer = pk.describe();
      a.accepted = pk.syn() && pk.ack_flag();
      a.detail = fmt::format(
          "SYN seq rcv_nxt{:+}{}; answer ack {}", seq_delta,
          timestamps ? fmt::format(", tsval last{:+}", ts_delta) : "",
          pk.ack == mem.rcv_nxt ? "= rcv_nxt (the TIME_WAIT's ACK)" : fmt::format("= SYN seq + 1"));
      break;
    }
    usleep(20000);
    auto after = read_counters(topo_.server());
    if (!after) return fail(after.error());
    a.paws_estab = (*after - *before).get("PAWSEstab");
    a.paws_timewait = (*after - *before).get("PAWSTimewait");
    return a;
  }

  Topology topo_;
  Capture cap_;
  os::UniqueFd listener_;
};

}  // namespace

Result<SynIntoTimeWait> measure_syn_into_timewait(bool timestamps) {
  SynIntoTimeWait out;
  out.timestamps = timestamps;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  for (const Netns* ns : {&topo->client(), &topo->server()})
    if (auto st = ns->set_sysctl("net.ipv4.tcp_timestamps", timestamps ? "1" : "0"); !st)
      return fail(st.error());
  // The server's veth end is named after the node it leads to.
  auto cap = Capture::open(topo->server(), "client");
  if (!cap) return fail(cap.error());
  Result<os::UniqueFd> l = fail("not run");
  if (auto st =
          topo->server().run_in([&] { l = tcp_listen(topo->server_addr(), kSynServerPort, true); });
      !st)
    return fail(st.error());
  if (!l) return fail(l.error());
  Experiment ex(std::move(*topo), std::move(*cap), std::move(*l));

  std::string answer;
  Remembered mem;
  if (auto r = ex.connection_then_server_tw(&answer, &mem); !r) return fail(r.error());
  auto tw = ex.server_time_wait();
  if (!tw) return fail(tw.error());
  out.server_time_wait_before = *tw;
  // The same 4-tuple again, at once, through the kernel's own connect().
  auto ms = ex.connection_then_server_tw(&out.reconnect_answer, &mem);
  if (!ms) return fail(ms.error());
  out.reconnect_ms = *ms;

  const int64_t kSeq = 1000000;
  if (timestamps) {
    for (auto [label, accept, seq, ts] :
         {std::tuple{"lower seq, older timestamp", false, -kSeq, int64_t(-100000)},
          std::tuple{"lower seq, newer timestamp", true, -kSeq, int64_t(1000)},
          std::tuple{"higher seq, newer timestamp", true, kSeq, int64_t(1000)}}) {
      auto a = ex.probe(label, accept, true, seq, ts);
      if (!a) return fail(a.error());
      out.probes.push_back(*a);
    }
  } else {
    for (auto [label, accept, seq] :
         {std::tuple{"lower seq", false, -kSeq}, std::tuple{"higher seq", true, kSeq}}) {
      auto a = ex.probe(label, accept, false, seq, 0);
      if (!a) return fail(a.error());
      out.probes.push_back(*a);
    }
  }
  return out;
}

Result<ScenarioResult> run_syn_into_timewait(const LabOptions&) {
  ScenarioResult r;
  r.name = "syn-into-timewait";
  r.title = "A new SYN for a 4-tuple the server holds in TIME_WAIT";
  for (bool ts : {true, false}) {
    auto m = measure_syn_into_timewait(ts);
    if (!m) return fail(m.error());
    std::string pre = ts ? "timestamps on: " : "timestamps off: ";
    r.rows.push_back({pre + "server TIME_WAIT after the server closed first", "1",
                      std::to_string(m->server_time_wait_before),
                      check(m->server_time_wait_before == 1)});
    r.rows.push_back({pre + "reconnect at once from port 2345 (kernel ISN)",
                      "accepted: SYN-ACK, no wait (the ISN grows with time)",
                      fmt::format("{} after {:.1f} ms", m->reconnect_answer, m->reconnect_ms),
                      check(m->reconnect_answer == "SYN-ACK" && m->reconnect_ms < 500)});
    std::string key = ts ? "timestamps_on." : "timestamps_off.";
    r.values[key + "reconnect_ms"] = m->reconnect_ms;
    r.values[key + "reconnect_accepted"] = m->reconnect_answer == "SYN-ACK";
    for (const SynAnswer& a : m->probes) {
      std::string probe = key;  // "lower seq, older timestamp" -> "lower_seq_older_timestamp"
      for (char ch : a.label)
        if (ch != ',') probe += ch == ' ' ? '_' : ch;
      r.values[probe + ".accepted"] = a.accepted;
      if (ts) r.values[probe + ".paws_timewait"] = double(a.paws_timewait);
      std::string theory = a.expect_accept ? "accepted: SYN-ACK"
                                           : "not accepted: the TIME_WAIT's ACK, no connection";
      if (ts && !a.expect_accept)
        theory += ", PAWS reject +1 (PAWSTimewait; PAWSEstab before 6.15)";
      if (ts && a.expect_accept && a.label.rfind("lower", 0) == 0)
        theory += " (RFC 6191: a newer timestamp suffices)";
      std::string measured = a.answer + (a.detail.empty() ? "" : " (" + a.detail + ")");
      if (ts)
        measured += fmt::format(", PAWSTimewait +{}, PAWSEstab +{}", a.paws_timewait, a.paws_estab);
      bool ok = a.accepted == a.expect_accept && a.answer != "none";
      if (ts && !a.expect_accept) ok = ok && a.paws_timewait + a.paws_estab >= 1;
      r.rows.push_back({pre + "raw SYN, " + a.label, theory, measured, check(ok)});
    }
  }
  r.notes.push_back(
      "client 10.77.1.1:2345 -> server 10.77.1.2:9100; the server closes first and holds "
      "TIME_WAIT; raw SYNs are sent from the client namespace and the server's answers captured "
      "with an AF_PACKET socket on its veth end. rcv_nxt and the last timestamp come from the "
      "captured client packets.");
  r.notes.push_back(
      "RFC 1122 4.2.2.13: a TIME_WAIT may accept a new SYN if its sequence number is larger "
      "than the last one of the old connection; RFC 6191 adds: or, with timestamps, if its "
      "timestamp is newer. Linux: tcp_timewait_state_process (TCP_TW_SYN).");
  r.notes.push_back(
      "the client kernel has no socket for the raw SYN and answers the server's ACK or SYN-ACK "
      "with an RST; each probe therefore gets a fresh TIME_WAIT.");
  return r;
}

}  // namespace tw::lab
