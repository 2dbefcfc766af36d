// SPDX-License-Identifier: Apache-2.0
// TIME_WAIT on a listening port: the server closes first (HTTP/1.0, `Connection: close`, a
// request-per-connection protocol), so the server holds the TIME_WAIT.
#include <fmt/format.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/nat_signature.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr int64_t kWarnCount = 20000;      // beyond this, memory and tw buckets start to matter
constexpr double kWarnBucketShare = 0.25;  // or a quarter of tcp_max_tw_buckets
}  // namespace

std::vector<Finding> rule_server_time_wait(const DoctorInput& in) {
  if (!in.by_local_port) return {not_checked("server-time-wait", "sockets", {"time-wait"})};
  bool assumed = false;
  const int tw_seconds = in.time_wait_seconds(&assumed);
  struct Port {
    uint16_t port;
    int64_t tw;
  };
  std::vector<Port> ports;
  int64_t total = 0;
  for (const GroupRow& row : in.by_local_port->groups()) {
    int64_t tw = row.counts[state_index(TcpState::kTimeWait)];
    if (tw && row.counts[state_index(TcpState::kListen)]) {
      ports.push_back({row.key.local.port, tw});
      total += tw;
    }
  }
  std::sort(ports.begin(), ports.end(), [](auto& a, auto& b) { return a.tw > b.tw; });
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "server-time-wait";
  f.topics = {"time-wait", "so_linger"};
  f.sources = {"RFC 793 (the side that closes first enters TIME_WAIT)",
               "RFC 1122 4.2.2.13 (a SYN may reopen a connection in TIME_WAIT); RFC 6191",
               "V. Bernat, \"Coping with the TCP TIME-WAIT state on busy Linux servers\" (2014)"};
  if (in.is_windows()) f.sources.pop_back();  // a Linux write-up
  auto limit = in.facts.sysctl_int("net.ipv4.tcp_max_tw_buckets");
  data = {{"time_wait", total},
          {"net.ipv4.tcp_max_tw_buckets", value_or_null(limit)},
          {"time_wait_seconds", tw_seconds},
          {"ports", nlohmann::json::array()}};
  for (size_t i = 0; i < ports.size() && i < 5; ++i)
    data["ports"].push_back({{"local_port", ports[i].port},
                             {"time_wait", ports[i].tw},
                             {"rate", round_to(static_cast<double>(ports[i].tw) / tw_seconds, 2)}});
  if (ports.empty()) {
    f.severity = Severity::kOk;
    f.title = "no TIME_WAIT on listening ports (clients close first)";
    return {with_data(std::move(f), data)};
  }
  for (size_t i = 0; i < ports.size() && i < 5; ++i)
    f.evidence.push_back(fmt::format(
        "listening port {}: {} in TIME_WAIT = {} closed by this server over the last {} s",
        ports[i].port, with_commas(ports[i].tw),
        format_rate(static_cast<double>(ports[i].tw) / tw_seconds), tw_seconds));
  if (limit) f.evidence.push_back(fmt::format("tcp_max_tw_buckets = {}", with_commas(*limit)));
  const bool big =
      total >= kWarnCount || (limit && *limit > 0 && total >= kWarnBucketShare * *limit);
  f.severity = big ? Severity::kWarning : Severity::kInfo;
  f.title = fmt::format("{} TIME_WAIT on listening port {}{}: this server closes connections first",
                        with_commas(total), ports.front().port,
                        ports.size() > 1 ? fmt::format(" and {} more", ports.size() - 1) : "");
  // The server's TIME_WAIT is harmless only on a direct path, where every client has its own
  // addresses and ports; behind a SNAT the balancer's few ports are reused into it.
  const auto nat = in.is_windows() ? std::nullopt : nat_signature(in);
  const auto drops = syn_drops_into_time_wait(in);
  const bool dropping = drops && (drops->recent() || (!drops->delta && drops->total > 0));
  data["nat_suspected"] = nat.has_value();
  data["nat_peers"] = nlohmann::json::array();
  if (nat) {
    for (const PeerTimeWait& p : nat->peers)
      data["nat_peers"].push_back({{"address", p.peer.to_string()}, {"time_wait", p.time_wait}});
    f.evidence.push_back(fmt::format(
        "{} hold{} {} of these {} TIME_WAIT ({:.0f} %): a NAT, load balancer or proxy in front",
        nat->names(), nat->peers.size() == 1 ? "s" : "", with_commas(nat->peer_time_wait),
        with_commas(nat->time_wait), 100 * nat->share()));
    if (dropping && nat) f.severity = Severity::kWarning;
    f.title += fmt::format(", most toward {} (a NAT or load balancer?)", nat->names());
  }
  if (in.is_windows()) {
    f.why =
        "The side that closes first holds TIME_WAIT. On a direct path it costs the server no "
        "ephemeral ports (each client has its own 4-tuple) and little memory, but a client "
        "reusing its port meets the old connection (event 4227, a TIME_WAIT collision).";
  } else if (nat) {
    f.why = fmt::format(
        "The side that closes first holds TIME_WAIT. Behind a SNAT ({} here) the clients share "
        "the balancer's few addresses and ports, so new connections reuse 4-tuples still in this "
        "server's TIME_WAIT: Linux takes such a SYN only if its sequence or timestamp is newer "
        "(RFC 6191), and the clients' connections behind one address carry unrelated timestamp "
        "clocks (an offset per address pair since 4.11, per connection again on newer kernels), "
        "so PAWS drops about half of them (see syn-into-time-wait).{}",
        nat->names(),
        dropping ? " It is happening: the PAWS counter grows." : " No SYN was dropped so far.");
  } else {
    f.why =
        "The side that closes first holds TIME_WAIT. On a direct path it costs the server no "
        "ephemeral ports (each client has its own 4-tuple) and little memory (~168 bytes each), "
        "but it fills tcp_max_tw_buckets, and a client reusing its port meets the old "
        "connection (Linux accepts the SYN only if its sequence or timestamp is newer, RFC "
        "6191). This assumes no NAT in front: behind a SNAT load balancer the clients share its "
        "ports and their SYNs can be dropped into these TIME_WAITs (syn-into-time-wait).";
  }
  if (nat) {
    f.application = {
        fmt::format("Let the clients or the balancer ({}) close first, or keep its connections "
                    "to this server alive (keep-alive, connection reuse toward the backend): "
                    "its reused ports then meet no TIME_WAIT here.",
                    nat->names()),
        "Give the balancer's SNAT more source addresses, so each of its ports is reused less "
        "often than every 60 s."};
  } else {
    f.application = {
        "Let clients close first: enable HTTP keep-alive (HTTP/1.1 persistent connections) and "
        "do not send `Connection: close`; nginx `keepalive_timeout 65;` and "
        "`keepalive_requests 1000;`.",
        "For protocols with one request per connection, have the client close first (it then "
        "holds TIME_WAIT, spread over its own ports)."};
  }
  f.dont = {
      "Do not set SO_LINGER 0 on the server to skip TIME_WAIT: clients then see RSTs and can "
      "lose the last data (see so-linger).",
      in.is_windows() ? "Do not shorten TcpTimedWaitDelay for it: clients have their own ports, "
                        "and TIME_WAIT keeps their old duplicates away."
                      : "tcp_tw_reuse does not apply here: it only affects outgoing connect()."};
  if (nat) f.dont.push_back("Never tcp_tw_recycle: it drops the SYNs of clients behind NAT.");
  return {with_data(std::move(f), data)};
}

}  // namespace tw
