// SPDX-License-Identifier: Apache-2.0
#include "watch/frame_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "census/report.h"
#include "model/format.h"

namespace tw::watch {

namespace {

nlohmann::json moving_json(const Moving& m) {
  return {{"count", m.now}, {"since_last", m.since_last}, {"since_start", m.since_start}};
}

// A row's key without the namespace build_node_frame leads it with (that goes in "netns").
std::string plain_key(const Row& r) {
  return r.netns.empty() || r.key.size() < r.netns.size() + 2 ? r.key
                                                              : r.key.substr(r.netns.size() + 2);
}

}  // namespace

nlohmann::json frame_json(const Frame& f, size_t top) {
  nlohmann::json j;
  j["schema"] = "timewait-watch/1";
  j["sequence"] = f.sequence;
  j["time"] = utc_timestamp(f.wall);
  j["netns"] = f.target;
  if (size_t slash = f.pod.find('/'); slash != std::string::npos) {
    j["namespace"] = f.pod.substr(0, slash);
    j["pod"] = f.pod.substr(slash + 1);
    j["pod_host_network"] = f.pod_host_network;
  }
  j["census_seconds"] = round_to(f.census_seconds, 3);
  if (!f.node_source.empty())
    j["node"] = {{"source", f.node_source},
                 {"one_walk", f.one_walk},
                 {"namespaces", f.namespaces},
                 {"namespaces_read", f.namespaces_read}};
  if (!f.error.empty()) {
    j["error"] = f.error;
    return j;
  }
  if (!f.note.empty()) j["note"] = f.note;
  nlohmann::json states = nlohmann::json::object();
  for (const StateLine& s : f.states) states[std::string(ss_name(s.state))] = moving_json(s.count);
  j["states"] = states;
  j["total"] = moving_json(f.total);
  j["sockstat_tw"] = f.sockstat_tw ? nlohmann::json(*f.sockstat_tw) : nlohmann::json(nullptr);
  j["fin_wait2_mini"] = f.fin_wait2_mini;
  j["time_wait_rate"] = {{"10s", round_to(f.time_wait_rate_10s, 2)},
                         {"60s", round_to(f.time_wait_rate_60s, 2)}};
  nlohmann::json counters = nlohmann::json::object();
  for (const CounterLine& c : f.counters) counters[c.name] = moving_json(c.value);
  j["counters_moved"] = counters;
  const bool tuples = f.by == GroupBy::kTuple;
  j["by"] = group_by_name(f.by);
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json bind_pools = nlohmann::json::array();
  nlohmann::json worst = nullptr;
  size_t tuple_rows = 0;
  for (const Row& r : f.rows) {
    if (!tuples || !r.forecast) break;
    // f.rows is worst first over both kinds: the first row is the worst pool.
    if (worst.is_null())
      worst = {{"pool", r.bind_pool ? "bind" : "tuple"},
               {"key", plain_key(r)},
               {"level", severity_name(r.forecast->level())},
               {"state", pool_state_name(r.forecast->state)},
               {"eta_s", r.forecast->eta_s ? nlohmann::json(round_to(*r.forecast->eta_s, 1))
                                           : nlohmann::json(nullptr)}};
    if (worst.is_object() && !r.netns.empty() && !worst.contains("netns")) worst["netns"] = r.netns;
    if (!r.bind_pool) continue;
    nlohmann::json x = forecast_json(*r.forecast);
    x["pool"] = plain_key(r);
    if (!r.netns.empty()) x["netns"] = r.netns;
    x["in_use"] = r.sockets;
    x["time_wait"] = r.time_wait;
    x["available"] = r.forecast->available;
    bind_pools.push_back(std::move(x));
  }
  for (size_t i = 0; i < f.rows.size() && tuple_rows < top; ++i) {
    const Row& r = f.rows[i];
    if (r.bind_pool) continue;
    ++tuple_rows;
    nlohmann::json x;
    if (tuples) {
      x = forecast_json(*r.forecast);
      x["tuple"] = plain_key(r);
      x["in_use"] = r.sockets;
      x["time_wait"] = r.time_wait;
      x["available"] = r.forecast->available;
    } else {
      x = {{"key", plain_key(r)},
           {"sockets", r.sockets},
           {"time_wait", r.time_wait},
           {"rate_10s", round_to(r.rate_10s, 2)}};
    }
    if (!r.netns.empty()) x["netns"] = r.netns;
    rows.push_back(std::move(x));
  }
  j[tuples ? "tuples" : "groups"] = rows;
  j[tuples ? "total_tuples" : "total_groups"] =
      std::count_if(f.rows.begin(), f.rows.end(), [](const Row& r) { return !r.bind_pool; });
  if (tuples) {
    j["bind_pools"] = bind_pools;
    j["worst_pool"] = worst;
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const FindingLine& x : f.findings)
    findings.push_back({{"id", x.id},
                        {"severity", severity_name(x.severity)},
                        {"checked", x.checked},
                        {"title", x.title}});
  j["findings"] = findings;
  return j;
}

}  // namespace tw::watch
