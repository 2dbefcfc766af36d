// SPDX-License-Identifier: Apache-2.0
// SYNs dropped into TIME_WAIT: a server that closes first, behind a SNAT load balancer or NAT
// that reuses its few source ports for many clients. A reused port's SYN meets the server's
// TIME_WAIT for that 4-tuple; it carries another client's timestamp clock, and when that clock is
// behind, PAWS drops it (TcpExt PAWSTimewait) and the client waits for its SYN retransmission.
#include <fmt/format.h>

#include <cmath>

#include "doctor/finding_json.h"
#include "doctor/nat_signature.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {

std::string percent(double share) { return fmt::format("{:.0f} %", 100 * share); }

}  // namespace

std::vector<Finding> rule_syn_into_time_wait(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  const auto drops = syn_drops_into_time_wait(in);
  if (!drops)
    return {not_checked("syn-into-time-wait", "TcpExt PAWS counters", {"tcp_timestamps"})};
  const auto nat = nat_signature(in);
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "syn-into-time-wait";
  f.topics = {"tcp_timestamps", "time-wait", "tcp_tw_recycle"};
  f.sources = {
      "kernel tcp_timewait_state_process(): a SYN into TIME_WAIT is taken when its sequence "
      "number or timestamp is newer (RFC 6191); a PAWS reject counts in PAWSTimewait (~6.15), "
      "PAWSEstab before",
      "kernel commit 28ee1b746f49 (Linux 4.11): one timestamp offset per address pair; newer "
      "kernels (secure_tcp_seq_and_ts_off, 6.18 here) hash the ports in again",
      "RFC 7323 section 5 (PAWS); RFC 6191"};
  data = {{"counter", drops->counter},
          {"counter_exact", drops->exact},
          {"dropped_total", drops->total},
          {"dropped", value_or_null(drops->delta)},
          {"interval_seconds", drops->delta ? nlohmann::json(drops->seconds) : nullptr},
          {"dropped_per_second",
           drops->delta ? nlohmann::json(round_to(drops->per_second(), 2)) : nullptr},
          {"time_wait_on_listening_ports", in.server_time_wait_total},
          {"peer_addresses", in.server_time_wait_peer_count},
          {"nat_suspected", nat.has_value()},
          {"nat_peers", nlohmann::json::array()}};
  if (nat)
    for (const PeerTimeWait& p : nat->peers)
      data["nat_peers"].push_back({{"address", p.peer.to_string()}, {"time_wait", p.time_wait}});

  const std::string label =
      drops->exact ? "PAWSTimewait (SYNs dropped into TIME_WAIT)"
                   : "PAWSEstab (PAWS drops, SYNs into TIME_WAIT among them: this kernel has no "
                     "PAWSTimewait)";
  if (auto e = in.counter_evidence(drops->counter, label)) f.evidence.push_back(*e);
  if (!drops->delta)
    f.evidence.push_back(fmt::format("counted {}; `{}` shows the rate now", in.counters_since(),
                                     in.here("timewait doctor --interval 10")));
  for (size_t i = 0; i < in.server_time_wait_peers.size() && i < kNatMaxPeers; ++i) {
    const PeerTimeWait& p = in.server_time_wait_peers[i];
    f.evidence.push_back(fmt::format(
        "peer {} holds {} of the {} TIME_WAIT on listening ports ({})", p.peer.to_string(),
        with_commas(p.time_wait), with_commas(in.server_time_wait_total),
        percent(in.server_time_wait_total ? double(p.time_wait) / in.server_time_wait_total : 0)));
  }
  if (in.server_time_wait_peer_count > 0)
    f.evidence.push_back(
        fmt::format("{} peer address(es) in all", with_commas(in.server_time_wait_peer_count)));
  if (auto v = in.facts.sysctl_int("net.ipv4.tcp_rfc1337"))
    f.evidence.push_back(fmt::format("net.ipv4.tcp_rfc1337 = {}", *v));

  const bool recent = drops->recent();
  const bool since_boot = !drops->delta && drops->total > 0;
  if (!recent && !(since_boot && nat)) {
    f.severity = drops->total > 0 && nat ? Severity::kInfo : Severity::kOk;
    f.title = drops->total > 0
                  ? fmt::format("no SYN dropped into TIME_WAIT in the last {:.0f} s ({} {})",
                                drops->seconds, with_commas(drops->total), in.counters_since())
                  : "no SYN dropped into TIME_WAIT (PAWS)";
    return {with_data(std::move(f), data)};
  }
  const std::string how_many =
      recent ? fmt::format("{} SYN(s) dropped into TIME_WAIT in {:.0f} s ({})",
                           with_commas(*drops->delta), drops->seconds,
                           format_rate(drops->per_second()))
             : fmt::format("{} SYN(s) dropped into TIME_WAIT {}", with_commas(drops->total),
                           in.counters_since());
  if (nat) {
    f.severity = Severity::kWarning;
    f.title = fmt::format(
        "{}: {} hold{} {} of this server's TIME_WAIT: a NAT or load balancer (SNAT) in front "
        "reuses its ports into them",
        how_many, nat->names(), nat->peers.size() == 1 ? "s" : "", percent(nat->share()));
  } else {
    // PAWSEstab alone cannot tell SYNs into TIME_WAIT from other PAWS drops.
    f.severity = drops->exact ? Severity::kWarning : Severity::kInfo;
    f.title = fmt::format("{}{}", how_many,
                          drops->exact ? ": clients' SYNs meet this server's TIME_WAITs"
                                       : " (PAWSEstab: other PAWS drops count there too)");
  }
  const std::string who = nat ? nat->names() : std::string("the NAT or load balancer in front");
  f.why = fmt::format(
      "This server closes first, so it holds a TIME_WAIT per 4-tuple for 60 s. Behind a SNAT "
      "({}), every client reaches it from the same few addresses and ports, so a new "
      "connection often reuses a 4-tuple still in TIME_WAIT. Linux takes such a SYN only if its "
      "sequence number or timestamp is newer (RFC 6191), and the new SYN's timestamp clock is "
      "not the old connection's: offsets are per address pair since 4.11, so clients on "
      "different addresses behind one SNAT address differ, and newer kernels hash the ports in "
      "again (measured on 6.18: one client through one SNAT address too). About half the SYNs "
      "look older and PAWS drops them. The server's ACK to a dropped SYN draws the client's RST, "
      "which ends the TIME_WAIT unless tcp_rfc1337=1, and the client resends the SYN at once: "
      "mostly an extra round trip, sometimes the 1 s retransmission; with tcp_rfc1337=1 the "
      "retries meet the TIME_WAIT again, wait seconds and fail under short connect timeouts.",
      who);
  f.application = {
      fmt::format(
          "Let the clients or the balancer close first, or keep the balancer's connections to "
          "this backend alive (HTTP keep-alive / connection reuse: nginx `keepalive 32;` in the "
          "upstream with `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";`, "
          "HAProxy `http-reuse safe`): then this server holds no TIME_WAIT for {}'s reused ports "
          "to hit.",
          who),
      "Give the balancer's SNAT more source addresses (or more ports): each (address, port) is "
      "then reused less often than every 60 s, the TIME_WAIT's life.",
      "Keep TCP timestamps on end to end (clients, balancer, backend) while doing the above: "
      "without them at the clients these SYNs pass on sequence numbers (the SNAT evicts only "
      "entries the new SYN's sequence number has passed; measured: no drops), but every "
      "connection then loses PAWS protection, so it is not the fix."};
  f.dont = {
      "Never tcp_tw_recycle: it dropped SYNs from clients behind NAT by their timestamps, this "
      "very failure, and Linux 4.12 removed it.",
      "Do not turn tcp_timestamps off on the backend to silence PAWS: it loses PAWS protection "
      "and tcp_tw_reuse, and the SYNs then depend on sequence numbers alone.",
      "Do not set SO_LINGER 0 on the backend to skip TIME_WAIT: clients see resets and can lose "
      "the last data.",
      "tcp_tw_reuse does not apply: it affects only this host's outgoing connect()."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
