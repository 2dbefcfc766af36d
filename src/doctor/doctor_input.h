// SPDX-License-Identifier: Apache-2.0
// What the doctor's rules read: the host's facts (sysctls, sockstat, counters), the census of its
// sockets built in one pass, and where a rule needs it, who owns CLOSE_WAIT sockets. Rules are
// functions of this struct alone, so a unit test builds one in a few lines.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "census/census.h"
#include "census/forecast.h"
#include "model/host_facts.h"
#include "model/port_range.h"
#include "sources/node_ports.h"
#include "trace/summary.h"

namespace tw {

// A process holding sockets (found through socket inode -> /proc/PID/fd, or from a dump's pid
// column).
struct ProcessRef {
  int pid = 0;
  std::string name;  // /proc/PID/comm; empty when unknown
  int64_t sockets = 0;
};

// TIME_WAIT sockets on this host's listening ports held toward one peer address: the server
// closed first. Many of them behind few addresses is the signature of a NAT, load balancer or
// proxy in front (doctor/nat_signature.h).
struct PeerTimeWait {
  Address peer;
  int64_t time_wait = 0;
};

struct DoctorInput {
  HostFacts facts;
  // --interval: the facts sampled `interval_seconds` before `facts` (counter deltas).
  std::optional<HostFacts> earlier;
  double interval_seconds = 0;
  // The sampler's longer view of a few counters (the PAWS ones): their values `window_seconds`
  // before `facts`, from the oldest sample kept within kCounterWindowSeconds. A rule that must
  // not flicker between refreshes (drops at 1/s seen over 2 s) reads its counter over this.
  std::map<std::string, int64_t> window_counters;
  double window_seconds = 0;

  // Null when no sockets were read (e.g. only a registry export was given).
  const Census* sockets = nullptr;        // GroupBy::kState, with the pool: counts, ages, pressure
  const Census* by_local_port = nullptr;  // listeners, server-side TIME_WAIT, CLOSE_WAIT per port
  std::optional<PortPool> pool;           // the ephemeral pool the census measured against
  bool pool_assumed = false;              // the pool is the OS default, not a captured setting

  // CLOSE_WAIT owners by local port; owners_known is false when nobody could look (offline dump
  // without pids, or /proc not readable).
  std::map<uint16_t, std::vector<ProcessRef>> close_wait_owners;
  bool owners_known = false;
  // TIME_WAIT on listening ports by peer address, most first (the top few), and over all peers.
  std::vector<PeerTimeWait> server_time_wait_peers;
  int64_t server_time_wait_total = 0;
  int64_t server_time_wait_peer_count = 0;  // distinct peer addresses among them (a lower bound)
  // Who holds the ephemeral ports (sockets other than TIME_WAIT and LISTEN on pool ports), by
  // local address, most sockets first; outbound_owners_known is false when nobody could look.
  std::map<Address, std::vector<ProcessRef>> outbound_owners;
  bool outbound_owners_known = false;

  // doctor --trace: what the tracer counted while sampling (null without --trace).
  const TraceSummary* trace = nullptr;

  // A Kubernetes node's NodePorts (kube-proxy's rules, the apiserver's range); nullopt when the
  // input has no kube-proxy rules (not a node, another namespace, an offline dump).
  std::optional<NodePorts> node_ports;

  // Windows: a `reg export` of Tcpip\Parameters (--windows-reg) and `netsh int ipv4 show
  // dynamicport tcp` output (--windows-dynamicport) were read into facts.windows_params.
  bool windows_registry = false;
  bool windows_dynamicport = false;

  bool has_sysctls() const { return !facts.sysctls.empty(); }
  bool is_windows() const { return facts.os == "windows"; }
  // Linux or unknown: Linux rules run (and say "not checked" when their sysctls are missing).
  bool is_linux_like() const { return facts.os == "linux" || facts.os.empty(); }
  // How long TIME_WAIT lasts on this host: 60 s on Linux; TcpTimedWaitDelay (default 120 s) on
  // Windows. `assumed` tells whether the value is a default.
  int time_wait_seconds(bool* assumed = nullptr) const;
  ForecastPolicy policy() const { return forecast_policy(facts); }
  // A command as the user must type it to reach this input's namespace (finding.h in_namespace).
  std::string here(std::string_view command) const;
  // What the counters count from: "since boot" for the host, "since the namespace was made" for
  // another network namespace (TcpExt counters are per namespace).
  std::string_view counters_since() const;
  // A counter's growth over --interval, or nullopt without a second sample.
  std::optional<int64_t> counter_delta(const std::string& name) const;
  std::optional<int64_t> counter(const std::string& name) const;
  // Evidence for a counter: "<label> = 1,234", with "(+56 in 10 s)" when sampled twice; nullopt
  // when the host did not report it. `label` defaults to the counter's name.
  std::optional<std::string> counter_evidence(const std::string& name,
                                              const std::string& label = "") const;
};

}  // namespace tw
