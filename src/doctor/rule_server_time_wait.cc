// SPDX-License-Identifier: Apache-2.0
// TIME_WAIT on a listening port: the server closes first (HTTP/1.0, `Connection: close`, a
// request-per-connection protocol), so the server holds the TIME_WAIT.
#include <fmt/format.h>

#include <algorithm>

#include "census/report.h"
#include "doctor/rules.h"

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
  f.id = "server-time-wait";
  f.topics = {"time-wait", "so_linger"};
  f.sources = {"RFC 793 (the side that closes first enters TIME_WAIT)",
               "RFC 1122 4.2.2.13 (a SYN may reopen a connection in TIME_WAIT); RFC 6191",
               "V. Bernat, \"Coping with the TCP TIME-WAIT state on busy Linux servers\" (2014)"};
  if (in.is_windows()) f.sources.pop_back();  // a Linux write-up
  auto limit = in.facts.sysctl_int("net.ipv4.tcp_max_tw_buckets");
  f.data = {{"time_wait", total},
            {"net.ipv4.tcp_max_tw_buckets", value_or_null(limit)},
            {"time_wait_seconds", tw_seconds},
            {"ports", nlohmann::json::array()}};
  for (size_t i = 0; i < ports.size() && i < 5; ++i)
    f.data["ports"].push_back(
        {{"local_port", ports[i].port},
         {"time_wait", ports[i].tw},
         {"rate", round_to(static_cast<double>(ports[i].tw) / tw_seconds, 2)}});
  if (ports.empty()) {
    f.severity = Severity::kOk;
    f.title = "no TIME_WAIT on listening ports (clients close first)";
    return {f};
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
  f.why = in.is_windows()
              ? "The side that closes first holds TIME_WAIT. On a server it costs no ephemeral "
                "ports (each client has its own 4-tuple) and little memory, but a client reusing "
                "its port meets the old connection (event 4227, a TIME_WAIT collision)."
              : "The side that closes first holds TIME_WAIT. On a server it costs no ephemeral "
                "ports (each client has its own 4-tuple) and little memory (~168 bytes each), "
                "but it fills tcp_max_tw_buckets, and a client reusing its port meets the old "
                "connection (Linux accepts the SYN only if its sequence or timestamp is newer, "
                "RFC 6191).";
  f.application = {
      "Let clients close first: enable HTTP keep-alive (HTTP/1.1 persistent connections) and do "
      "not send `Connection: close`; nginx `keepalive_timeout 65;` and `keepalive_requests 1000;`.",
      "For protocols with one request per connection, have the client close first (it then holds "
      "TIME_WAIT, spread over its own ports)."};
  f.dont = {
      "Do not set SO_LINGER 0 on the server to skip TIME_WAIT: clients then see RSTs and can "
      "lose the last data (see so-linger).",
      in.is_windows() ? "Do not shorten TcpTimedWaitDelay for it: clients have their own ports, "
                        "and TIME_WAIT keeps their old duplicates away."
                      : "tcp_tw_reuse does not apply here: it only affects outgoing connect()."};
  return {f};
}

}  // namespace tw
