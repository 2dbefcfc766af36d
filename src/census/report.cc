#include "census/report.h"

#include <fmt/format.h>

#include <cmath>

#include "census/table.h"

namespace tw {

using nlohmann::json;

std::string with_commas(int64_t n) {
  std::string digits = fmt::format("{}", n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (n < 0) out.push_back('-');
  return std::string(out.rbegin(), out.rend());
}

std::string format_rate(double r) {
  if (r < 10) return fmt::format("~{:.1f}/s", r);
  return fmt::format("~{}/s", with_commas(std::llround(r)));
}

std::string_view pressure_level(double percent) {
  if (percent >= kPressureCriticalPercent) return "critical";
  if (percent >= kPressureWarnPercent) return "warning";
  return "ok";
}

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
  if (by == GroupBy::kTuple) columns.push_back({"TW/s 60s"});
  Table t(std::move(columns));
  for (auto& row : rows) {
    std::vector<std::string> cells{group_label(row.key, by)};
    for (int i : cols) cells.push_back(with_commas(row.counts[i]));
    cells.push_back(with_commas(row.total));
    if (by == GroupBy::kTuple)
      cells.push_back(format_rate(row.counts[state_index(TcpState::kTimeWait)] /
                                  static_cast<double>(kLinuxTimeWaitSeconds)));
    t.add(std::move(cells));
  }
  *out += "\n" + t.render(r.width);
  if (c.group_count() > rows.size())
    *out += fmt::format("... and {} more groups (--top 0 shows all)\n",
                        with_commas(c.group_count() - rows.size()));
}

void add_pressure_table(const CensusReport& r, std::string* out) {
  const Census& c = *r.census;
  if (!c.options().pool) return;
  auto rows = c.pressure(r.top);
  *out += "\n" + wrap_text(fmt::format("Port pressure per destination ({}; worst first)",
                                       pool_text(*c.options().pool)),
                           r.width, "", "  ");
  if (rows.empty()) {
    *out += "no outbound connections use the ephemeral range\n";
    return;
  }
  Table table({{"LOCAL -> REMOTE", false}, {"IN USE"}, {"TIME-WAIT"}, {"USED"}, {"LEVEL", false}});
  for (auto& t : rows) {
    auto level = pressure_level(t.percent());
    table.add({describe_key(t.key, GroupBy::kTuple), with_commas(t.in_use),
               with_commas(t.time_wait), fmt::format("{:.1f}%", t.percent()),
               level == "ok" ? ""
                             : fmt::format("{} (>= {:.0f}%)", level,
                                           level == "critical" ? kPressureCriticalPercent
                                                               : kPressureWarnPercent)});
  }
  *out += table.render(r.width);
  if (c.pressure_count() > rows.size())
    *out += fmt::format("... and {} more destinations\n",
                        with_commas(c.pressure_count() - rows.size()));
}

void add_owner_table(const CensusReport& r, std::string* out) {
  if (r.owners.empty()) return;
  *out += "\nProcesses holding sockets (as the input recorded them)\n";
  Table t({{"PID"}, {"SOCKETS"}, {"COMMAND", false}});
  size_t n = 0;
  for (auto& o : r.owners) {
    if (r.top && n++ == r.top) break;
    t.add({fmt::format("{}", o.pid), with_commas(o.sockets), o.command});
  }
  *out += t.render(r.width);
  if (r.top && r.owners.size() > r.top)
    *out += fmt::format("... and {} more processes\n", with_commas(r.owners.size() - r.top));
}

json key_json(const GroupKey& k, GroupBy by) {
  switch (by) {
    case GroupBy::kState:
      return json::object();
    case GroupBy::kPeer:
      return {{"remote", k.remote.addr.to_string()}};
    case GroupBy::kPeerPort:
      return {{"remote_port", k.remote.port}};
    case GroupBy::kLocal:
      return {{"local", k.local.addr.to_string()}};
    case GroupBy::kLocalPort:
      return {{"local_port", k.local.port}};
    case GroupBy::kTuple:
      return {{"local", k.local.addr.to_string()},
              {"remote", k.remote.addr.to_string()},
              {"remote_port", k.remote.port}};
  }
  return json::object();
}

json counts_json(const StateCounts& counts, bool all) {
  json j = json::object();
  for (int i = 0; i < kStateCount; ++i)
    if (all || counts[i]) j[std::string(filter_name(state_at(i)))] = counts[i];
  return j;
}

}  // namespace

std::string render_census_table(const CensusReport& r) {
  const HostFacts& f = *r.facts;
  std::string out;
  std::string where = f.netns.empty() ? "" : fmt::format("netns {}", f.netns);
  if (!f.hostname.empty())
    where = fmt::format("{}{}{}", f.hostname, where.empty() ? "" : ", ", where);
  out += wrap_text(fmt::format("TCP sockets{}{} (source: {}{})", where.empty() ? "" : " on ", where,
                               f.source, f.captured_at.empty() ? "" : ", " + f.captured_at),
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
  add_owner_table(r, &out);
  if (!r.note.empty()) out += "\n" + wrap_text("note: " + r.note, r.width, "", "  ");
  return out;
}

json census_to_json(const CensusReport& r) {
  const Census& c = *r.census;
  const HostFacts& f = *r.facts;
  json j;
  j["schema"] = "timewait-census/1";
  j["host"] = {{"hostname", f.hostname}, {"os", f.os},         {"kernel", f.kernel},
               {"netns", f.netns},       {"source", f.source}, {"captured_at", f.captured_at}};
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
                    {"rate_60s", a.with_timer ? json(a.rate(60)) : json(nullptr)},
                    {"rate_10s", a.with_timer ? json(a.rate(10)) : json(nullptr)},
                    {"ages_by_second", a.by_second}};
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
    for (auto& row : c.groups(r.top)) {
      json jr = {{"key", key_json(row.key, by)},
                 {"counts", counts_json(row.counts, false)},
                 {"total", row.total}};
      if (by == GroupBy::kTuple)
        jr["time_wait_rate_60s"] =
            row.counts[state_index(TcpState::kTimeWait)] / double(kLinuxTimeWaitSeconds);
      rows.push_back(jr);
    }
    j["groups"] = {{"by", group_by_name(by)}, {"total_groups", c.group_count()}, {"rows", rows}};
  }
  json owners = json::array();
  for (auto& o : r.owners)
    owners.push_back({{"pid", o.pid}, {"command", o.command}, {"sockets", o.sockets}});
  j["owners"] = r.owners.empty() ? json(nullptr) : owners;
  if (auto& pool = c.options().pool) {
    json tuples = json::array();
    for (auto& t : c.pressure(r.top)) {
      json jt = key_json(t.key, GroupBy::kTuple);
      jt["in_use"] = t.in_use;
      jt["time_wait"] = t.time_wait;
      jt["available"] = t.available;
      jt["percent"] = t.percent();
      jt["level"] = pressure_level(t.percent());
      tuples.push_back(jt);
    }
    json reserved = json::array();
    for (auto [a, b] : pool->reserved) reserved.push_back({a, b});
    j["port_pressure"] = {{"range", {pool->low, pool->high}},
                          {"reserved", reserved},
                          {"usable", pool->usable()},
                          {"total_tuples", c.pressure_count()},
                          {"tuples", tuples}};
  } else {
    j["port_pressure"] = nullptr;
  }
  return j;
}

}  // namespace tw
