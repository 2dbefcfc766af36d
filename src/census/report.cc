// SPDX-License-Identifier: Apache-2.0
#include "census/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "census/forecast.h"
#include "census/port_pool.h"
#include "census/table.h"
#include "model/format.h"
#include "model/host_facts_json.h"
#include "model/safe_text.h"

namespace tw {

using nlohmann::json;

namespace {

// A listener's tuple has no peer (0.0.0.0 -> 0.0.0.0:0): say what it is.
std::string group_label(const GroupKey& k, GroupBy by) {
  if (by == GroupBy::kTuple && k.remote.port == 0 && k.remote.addr.is_unspecified())
    return fmt::format("{} (listening, no peer)", k.local.addr.to_string());
  return describe_key(k, by);
}

std::string pool_text(const PortPool& p) {
  return fmt::format("ephemeral range {}-{}, {} usable ports", p.low, p.high,
                     with_commas(p.usable()));
}

std::string time_wait_text(const Census& c) {
  const TimeWaitAges& a = c.time_wait_ages();
  if (a.with_timer == 0) return "";
  return fmt::format("made at {} over the last 60 s, {} over the last 10 s",
                     format_rate(a.rate(60)), format_rate(a.rate(10)));
}

void add_state_table(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  const StateMask want = c.options().states;
  Table t({{"STATE", false}, {"COUNT"}, {"", false}});
  for (int i = 0; i < kStateCount; ++i) {
    TcpState s = state_at(i);
    if (!want.has(s)) continue;
    t.add({std::string(ss_name(s)), with_commas(c.count(s)),
           s == TcpState::kTimeWait ? time_wait_text(c) : ""});
  }
  t.add({"TOTAL", with_commas(c.total()), ""});
  *out += t.render(r.width);
  const ReuseCounts& reuse = c.time_wait_reuse();
  if (reuse.known())
    *out += fmt::format(
        "\n{}",
        wrap_text(fmt::format("tcp_tw_reuse, where on, could take {} of these TIME-WAIT ports "
                              "now; {} are younger than tcp_tw_reuse_delay, {} have no "
                              "timestamps (reuse never takes those).",
                              with_commas(reuse.reusable), with_commas(reuse.not_yet),
                              with_commas(reuse.no_timestamps)),
                  r.width));
  if (c.fin_wait2_mini())
    *out += fmt::format(
        "\n{}", wrap_text(fmt::format("FIN-WAIT-2 includes {} orphaned socket(s) held as "
                                      "TIME_WAIT mini-sockets: `ss state time-wait` does not "
                                      "show them, /proc/net/sockstat \"tw\" counts them.",
                                      with_commas(c.fin_wait2_mini())),
                          r.width));
}

void add_group_table(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  const GroupBy by = c.options().by;
  auto rows = c.groups(r.top);
  // Only states that occur get a column; the table stays readable.
  std::vector<int> cols;
  for (int i = 0; i < kStateCount; ++i)
    if (c.counts()[i]) cols.push_back(i);
  std::vector<TableColumn> columns{{fmt::format("BY {}", group_by_name(by)), false}};
  for (int i : cols) columns.push_back({std::string(ss_name(state_at(i)))});
  columns.push_back({"TOTAL"});
  if (by == GroupBy::kTuple)
    for (const char* h : {"TW/s 10s", "TW/s 60s", "ETA"}) columns.push_back({h});
  const ForecastPolicy policy = forecast_policy(*r.facts);
  Table t(std::move(columns));
  for (auto& row : rows) {
    std::vector<std::string> cells{group_label(row.key, by)};
    for (int i : cols) cells.push_back(with_commas(row.counts[i]));
    cells.push_back(with_commas(row.total));
    if (by == GroupBy::kTuple) {
      const TupleAges& a = row.time_wait_ages;
      auto p = c.pressure_of(row.key);
      // The 10 s rate needs every TIME_WAIT's timer; the 60 s one is the count over 60 s.
      cells.push_back(a.without_timer ? "-" : format_rate(a.rate(10)));
      cells.push_back(format_rate(row.counts[state_index(TcpState::kTimeWait)] /
                                  static_cast<double>(kLinuxTimeWaitSeconds)));
      cells.push_back(p ? eta_text(forecast(*p, policy)) : "-");
    }
    t.add(std::move(cells));
  }
  *out += "\n" + t.render(r.width);
  if (c.group_count() > rows.size())
    *out += fmt::format("... and {} more groups (--top 0 shows all)\n",
                        with_commas(c.group_count() - rows.size()));
}

// "critical (exhausted)", "critical (in ~14 s)", "warning (>= 50 %)": the level and what set it.
std::string level_text(const Forecast& f) {
  std::string why = f.state == PoolState::kExhausted ? "exhausted"
                    : f.eta_s                        ? "in " + eta_text(f)
                    : f.level() == Severity::kWarning && f.held_percent() < kPressureWarnPercent
                        ? "tcp_tw_reuse needs the peer's timestamps"
                    : f.level() == Severity::kCritical
                        ? fmt::format(">= {}", format_percent(kPressureCriticalPercent))
                        : fmt::format(">= {}", format_percent(kPressureWarnPercent));
  return fmt::format("{} ({})", severity_name(f.level()), why);
}

// Tuples holding host or service names (a dump taken without -n): listed, never measured.
void add_unmeasured_pressure(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  size_t n = c.unmeasured_pressure_count();
  if (!n) return;
  *out += fmt::format(
      "not measured: {} {} with host or service names (capture with -n for port pressure)\n",
      with_commas(static_cast<int64_t>(n)), n == 1 ? "tuple" : "tuples");
  auto rows = c.unmeasured_pressure(r.top);
  Table table({{"LOCAL -> REMOTE (names)", false}, {"SOCKETS"}});
  for (auto& row : rows)
    table.add({describe_key(row.key, GroupBy::kTuple), with_commas(row.total)});
  *out += table.render(r.width);
  if (n > rows.size())
    *out += fmt::format("  ... and {} more\n", with_commas(static_cast<int64_t>(n - rows.size())));
}

void add_pressure_table(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  if (!c.options().pool) return;
  const ForecastPolicy policy = forecast_policy(*r.facts);
  auto rows = forecast_tuples(c, policy, r.top);
  const PortPool& pool = *c.options().pool;
  *out += "\n" + wrap_text(fmt::format("Port pressure per destination ({}; each tuple sustains {} "
                                       "new connections; {})",
                                       pool_text(pool),
                                       format_rate(static_cast<double>(pool.usable()) /
                                                   policy.time_wait_seconds),
                                       kTupleOrderText),
                           r.width, "", "  ");
  if (rows.empty()) {
    *out += c.unmeasured_pressure_count() ? "no tuple printed as numbers uses the ephemeral range\n"
                                          : "no outbound connections use the ephemeral range\n";
    add_unmeasured_pressure(r, out);
    return;
  }
  Table table({{"LOCAL -> REMOTE", false},
               {"IN USE"},
               {"TIME-WAIT", true, 2},
               {"USED"},
               {"TW/s 10s"},
               {"TW/s 60s", true, 3},
               {"ETA"},
               {"LEVEL", false}});
  for (auto& [t, f] : rows) {
    auto level = f.level();
    table.add({describe_key(t.key, GroupBy::kTuple), with_commas(t.in_use),
               with_commas(t.time_wait), format_percent(f.percent),
               f.rate_10s ? format_rate(*f.rate_10s) : "-", format_rate(f.rate_60s), eta_text(f),
               level == Severity::kOk ? "" : level_text(f)});
  }
  *out += table.render(r.width);
  if (c.pressure_count() > rows.size())
    *out += fmt::format("... and {} more destinations\n",
                        with_commas(c.pressure_count() - rows.size()));
  if (rows.front().tuple.available < pool.usable())
    *out += wrap_text(
        fmt::format("connect() can take {} of the {} usable ports toward a "
                    "destination: it skips the ports bind() holds (listeners, "
                    "bound sockets)",
                    with_commas(rows.front().tuple.available), with_commas(pool.usable())),
        r.width, "", "  ");
  add_unmeasured_pressure(r, out);
}

// The pools bind(addr, 0) draws from, one per local address, where bind() does draw from them.
void add_bind_pool_table(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  if (!c.options().pool) return;
  const BoundVisibility seen = bound_only_visibility(*r.facts, c.bound_only());
  if (seen.visible == false) *out += "\n" + wrap_text("note: " + seen.note, r.width, "", "  ");
  auto rows = forecast_source_pools(c, forecast_policy(*r.facts));
  if (rows.empty()) return;
  *out += "\n" + wrap_text(
                     "Bind pools per source address (ports bound before connect() serve "
                     "one destination each and are lost to every other; bind() fails "
                     "with EADDRINUSE when none is left)",
                     r.width, "", "  ");
  Table table({{"LOCAL (bind)", false},
               {"HELD"},
               {"BOUND-ONLY"},
               {"TIME-WAIT", true, 2},
               {"USED"},
               {"TW/s 10s"},
               {"ETA"},
               {"LEVEL", false}});
  for (auto& [p, f] : rows) {
    auto level = f.level();
    table.add({fmt::format("{} ({} dest.)", p.local.to_string(), p.tuples),
               with_commas(p.ports_held), with_commas(p.bound_only), with_commas(f.time_wait),
               format_percent(f.percent), f.rate_10s ? format_rate(*f.rate_10s) : "-", eta_text(f),
               level == Severity::kOk ? "" : level_text(f)});
  }
  *out += table.render(r.width);
}

void add_owner_table(const CensusReport& r, std::string* out) {
  if (r.owners.empty()) return;
  *out += r.owners_live ? "\nProcesses holding sockets (looked up in /proc/PID/fd now)\n"
                        : "\nProcesses holding sockets (as the input recorded them)\n";
  // POD and CONTAINER only on a node where some process is a pod's: the table is unchanged
  // elsewhere.
  const bool pods = std::any_of(r.owners.begin(), r.owners.end(),
                                [](const ProcessCount& o) { return !o.pod.empty(); });
  Table t =
      pods ? Table({{"PID"}, {"SOCKETS"}, {"COMMAND", false}, {"POD", false}, {"CONTAINER", false}})
           : Table({{"PID"}, {"SOCKETS"}, {"COMMAND", false}});
  size_t n = 0;
  for (auto& o : r.owners) {
    if (r.top && n++ == r.top) break;
    std::vector<std::string> row{fmt::format("{}", o.pid), with_commas(o.sockets),
                                 printable_line(o.command)};
    if (pods) {
      row.push_back(o.pod.empty() ? "-" : printable_line(o.pod));
      row.push_back(o.container.empty() ? "-" : printable_line(o.container));
    }
    t.add(std::move(row));
  }
  *out += t.render(r.width);
  if (r.top && r.owners.size() > r.top)
    *out += fmt::format("... and {} more processes\n", with_commas(r.owners.size() - r.top));
}

json key_json(const GroupKey& k, GroupBy by) {
  json j = json::object();
  switch (by) {
    case GroupBy::kState:
      break;
    case GroupBy::kPeer:
      j = {{"remote", k.remote.addr.to_string()}};
      break;
    case GroupBy::kPeerPort:
      j = {{"remote_port", k.remote.port}};
      break;
    case GroupBy::kLocal:
      j = {{"local", k.local.addr.to_string()}};
      break;
    case GroupBy::kLocalPort:
      j = {{"local_port", k.local.port}};
      break;
    case GroupBy::kTuple:
      j = {{"local", k.local.addr.to_string()},
           {"remote", k.remote.addr.to_string()},
           {"remote_port", k.remote.port}};
      break;
  }
  // A service name that maps to no port number (a dump taken without -n): the port reads 0.
  if (j.contains("remote_port") && k.remote.port_name) j["remote_service"] = k.remote.port_string();
  if (j.contains("local_port") && k.local.port_name) j["local_service"] = k.local.port_string();
  return j;
}

json counts_json(const StateCounts& counts, bool all) {
  json j = json::object();
  for (int i = 0; i < kStateCount; ++i)
    if (all || counts[i]) j[std::string(filter_name(state_at(i)))] = counts[i];
  return j;
}

}  // namespace

nlohmann::json forecast_json(const Forecast& f) {
  return {{"percent", round_to(f.percent, 1)},
          {"free", f.free_ports},
          {"rates_measured", f.rates_measured},
          {"rate_10s", f.rate_10s ? json(round_to(*f.rate_10s, 2)) : json(nullptr)},
          {"rate_60s", round_to(f.rate_60s, 2)},
          {"rate_recent", f.rate_recent ? json(round_to(*f.rate_recent, 2)) : json(nullptr)},
          {"sustainable_rate", round_to(f.sustainable, 2)},
          {"tw_reuse", f.reuse},
          {"free_with_reuse", f.free_with_reuse ? json(*f.free_with_reuse) : json(nullptr)},
          {"eta_s", f.eta_s ? json(round_to(*f.eta_s, 1)) : json(nullptr)},
          {"capped_by_max_tw_buckets", f.capped_by_max_tw_buckets},
          {"state", pool_state_name(f.state)},
          {"level", severity_name(f.level())}};
}

// Hostname, netns, command names and dumps' host names come from the input: each field is made
// printable where it is laid out, and the whole text once more (model/safe_text.h).
std::string render_census_table(const CensusReport& r) {
  const HostFacts& f = *r.facts;
  std::string out;
  std::string where = netns_title(f);
  if (!f.hostname.empty())
    where = fmt::format("{}{}{}", printable_line(f.hostname), where.empty() ? "" : ", ", where);
  out += wrap_text(fmt::format("TCP sockets{}{} (source: {}{})", where.empty() ? "" : " on ", where,
                               printable_line(f.source),
                               f.captured_at.empty() ? "" : ", " + printable_line(f.captured_at)),
                   r.width, "", "  ") +
         "\n";
  add_state_table(r, &out);
  if (f.sockstat) {
    const Sockstat& s = *f.sockstat;
    out += "\n" +
           wrap_text(fmt::format("/proc/net/sockstat: this namespace: inuse {} (IPv6 {}), "
                                 "tw {}; whole host: orphan {}, alloc {}, mem {} pages",
                                 with_commas(s.inuse), with_commas(s.inuse6), with_commas(s.tw),
                                 with_commas(s.orphan), with_commas(s.alloc), with_commas(s.mem)),
                     r.width, "", "  ");
  }
  if (r.census->options().by != GroupBy::kState) add_group_table(r, &out);
  add_pressure_table(r, &out);
  add_bind_pool_table(r, &out);
  add_owner_table(r, &out);
  if (!r.note.empty()) out += "\n" + wrap_text("note: " + r.note, r.width, "", "  ");
  return printable(out);
}

json census_to_json(const CensusReport& r) {
  const Census& c = *r.census;
  const HostFacts& f = *r.facts;
  json j;
  j["schema"] = "timewait-census/1";
  j["host"] = host_to_json(f);
  j["note"] = r.note.empty() ? json(nullptr) : json(r.note);
  json requested = json::array();
  for (int i = 0; i < kStateCount; ++i)
    if (c.options().states.has(state_at(i))) requested.push_back(filter_name(state_at(i)));
  j["states_requested"] = requested;
  j["states"] = counts_json(c.counts(), true);
  j["total"] = c.total();
  j["fin_wait2_mini"] = c.fin_wait2_mini();
  const TimeWaitAges& a = c.time_wait_ages();
  j["time_wait"] = {{"count", c.count(TcpState::kTimeWait)},
                    {"with_timer", a.with_timer},
                    {"without_timer", a.without_timer},
                    {"rate_60s", a.with_timer ? json(round_to(a.rate(60), 2)) : json(nullptr)},
                    {"rate_10s", a.with_timer ? json(round_to(a.rate(10), 2)) : json(nullptr)},
                    {"ages_by_second", a.by_bucket}};
  const ReuseCounts& reuse = c.time_wait_reuse();
  j["time_wait"]["reuse"] = reuse.known() ? json{{"reusable_now", reuse.reusable},
                                                 {"not_yet", reuse.not_yet},
                                                 {"no_timestamps", reuse.no_timestamps}}
                                          : json(nullptr);
  if (f.sockstat) {
    const Sockstat& s = *f.sockstat;
    j["sockstat"] = {{"inuse", s.inuse},   {"inuse6", s.inuse6}, {"tw", s.tw},
                     {"orphan", s.orphan}, {"alloc", s.alloc},   {"mem", s.mem}};
  } else {
    j["sockstat"] = nullptr;
  }
  const GroupBy by = c.options().by;
  if (by == GroupBy::kState) {
    j["groups"] = nullptr;
  } else {
    json rows = json::array();
    const ForecastPolicy policy = forecast_policy(f);
    for (auto& row : c.groups(r.top)) {
      json jr = {{"key", key_json(row.key, by)},
                 {"counts", counts_json(row.counts, false)},
                 {"total", row.total}};
      if (by == GroupBy::kTuple) {
        const TupleAges& a = row.time_wait_ages;
        jr["time_wait_rate_60s"] = round_to(
            row.counts[state_index(TcpState::kTimeWait)] / double(kLinuxTimeWaitSeconds), 2);
        jr["time_wait_rate_10s"] = a.without_timer ? json(nullptr) : json(round_to(a.rate(10), 2));
        auto p = c.pressure_of(row.key);
        jr["forecast"] = p ? forecast_json(forecast(*p, policy)) : json(nullptr);
      }
      rows.push_back(jr);
    }
    j["groups"] = {{"by", group_by_name(by)}, {"total_groups", c.group_count()}, {"rows", rows}};
  }
  json owners = json::array();
  for (auto& o : r.owners) {
    json e = {{"pid", o.pid}, {"command", o.command}, {"sockets", o.sockets}};
    // A pod's process: kube-state-metrics' and cAdvisor's names, as the census's host has them.
    if (size_t slash = o.pod.find('/'); slash != std::string::npos) {
      e["namespace"] = o.pod.substr(0, slash);
      e["pod"] = o.pod.substr(slash + 1);
      e["container"] = o.container.empty() ? json(nullptr) : json(o.container);
    }
    owners.push_back(std::move(e));
  }
  j["owners"] = r.owners.empty() ? json(nullptr) : owners;
  if (auto& pool = c.options().pool) {
    json tuples = json::array();
    const ForecastPolicy policy = forecast_policy(f);
    for (auto& [t, fc] : forecast_tuples(c, policy, r.top)) {
      json jt = key_json(t.key, GroupBy::kTuple);
      jt["in_use"] = t.in_use;
      jt["time_wait"] = t.time_wait;
      jt["available"] = t.available;
      jt.update(forecast_json(fc));
      tuples.push_back(jt);
    }
    json reserved = json::array();
    for (auto [a, b] : pool->reserved) reserved.push_back({a, b});
    const auto tuple_rows = forecast_tuples(c, policy, 1);
    const auto source_rows = forecast_source_pools(c, policy);
    json bind_pools = json::array();
    for (auto& [p, fc] : source_rows) {
      json jp = {{"local", p.local.to_string()},   {"destinations", p.tuples},
                 {"ports_held", p.ports_held},     {"bound_only", p.bound_only},
                 {"ports_shared", p.ports_shared}, {"bind_parity_ports", p.bind_parity},
                 {"in_use", p.ports_held},         {"time_wait", fc.time_wait},
                 {"available", p.available}};
      jp.update(forecast_json(fc));
      bind_pools.push_back(jp);
    }
    const BoundVisibility seen = bound_only_visibility(f, c.bound_only());
    const WorstPool worst = worst_pool(tuple_rows, source_rows);
    json jworst = nullptr;
    if (const Forecast* wf = worst.forecast())
      jworst = {
          {"pool", worst.source_is_worse() ? "bind" : "tuple"},
          {"key", worst.source_is_worse() ? worst.source->pool.local.to_string()
                                          : describe_key(worst.tuple->tuple.key, GroupBy::kTuple)},
          {"level", severity_name(wf->level())},
          {"state", pool_state_name(wf->state)},
          {"eta_s", wf->eta_s ? json(round_to(*wf->eta_s, 1)) : json(nullptr)}};
    j["port_pressure"] = {
        {"range", {pool->low, pool->high}},
        {"reserved", reserved},
        {"usable", pool->usable()},
        {"connect_available",
         tuple_rows.empty() ? json(nullptr) : json(tuple_rows.front().tuple.available)},
        {"total_tuples", c.pressure_count()},
        {"tuples", tuples},
        {"bind_pools", bind_pools},
        {"bound_only",
         {{"sockets", c.bound_only()},
          {"visible", seen.visible ? json(*seen.visible) : json(nullptr)},
          {"note", seen.note.empty() ? json(nullptr) : json(seen.note)}}},
        {"worst", jworst}};
    // Tuples with host or service names (a dump taken without -n) are listed, not measured.
    json unmeasured = json::array();
    for (auto& row : c.unmeasured_pressure(r.top)) {
      json ju = key_json(row.key, GroupBy::kTuple);
      ju["sockets"] = row.total;
      unmeasured.push_back(ju);
    }
    j["port_pressure"]["unmeasured_named_tuples"] = {
        {"total_tuples", c.unmeasured_pressure_count()}, {"tuples", unmeasured}};
  } else {
    j["port_pressure"] = nullptr;
  }
  return j;
}

}  // namespace tw
