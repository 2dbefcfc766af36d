// SPDX-License-Identifier: Apache-2.0
#include "plan/render.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "census/table.h"
#include "model/format.h"
#include "model/safe_text.h"
#include "plan/sources.h"

namespace tw::plan {

namespace {

// Footnotes: each distinct source once, numbered in order of first use.
struct Footnotes {
  std::vector<std::string> list;
  std::string mark(const std::string& source) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == source) return fmt::format("[{}]", i + 1);
    list.push_back(source);
    return fmt::format("[{}]", list.size());
  }
};

std::string factor(const std::optional<double>& f) {
  return f ? fmt::format("{:.2f}x", *f) : std::string("-");
}

std::string bytes_text(int64_t b) {
  if (b >= (int64_t{1} << 30)) return fmt::format("{:.1f} GiB", b / double(int64_t{1} << 30));
  if (b >= (1 << 20)) return fmt::format("{:.1f} MiB", b / double(1 << 20));
  if (b >= (1 << 10)) return fmt::format("{:.1f} KiB", b / double(1 << 10));
  return fmt::format("{} B", b);
}

std::string seconds_text(double s) { return s > 0 ? fmt::format("{:g} s", s) : "none"; }

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// The traced demand in words: the attempts, what failed and how, over what.
std::string traced_text(const PlanInput& in) {
  const TracedDemand& d = *in.traced_demand;
  std::string errors;
  for (const auto& [err, n] : d.failed)
    errors += fmt::format("{}{} {}", errors.empty() ? "" : ", ", err, with_commas(int64_t(n)));
  const std::string toward = in.tuple
                                 ? fmt::format(" toward {} from {}", in.tuple->remote.to_string(),
                                               in.tuple->local.to_string())
                                 : std::string();
  return fmt::format(
      "{:.2f}/s wanted{}: {} connect() calls reached ESTABLISHED and {} failed{} over {:.1f} s, "
      "{:.0f} % failing (trace {})",
      d.rate(), toward, with_commas(int64_t(d.connects)), with_commas(int64_t(d.failed_total())),
      errors.empty() ? "" : " (" + errors + ")", d.seconds, 100 * d.failing_share(), d.file);
}

}  // namespace

std::string rate_text(const std::optional<double>& r) {
  return r ? fmt::format("{:.1f}/s", *r) : std::string("no TIME_WAIT limit");
}

std::string snat_text(const Plan& p) {
  const SnatSyns& s = *p.snat;
  if (s.into_time_wait == 0)
    return "no SYN meets the server's TIME_WAIT: the SNAT's ports are reused less often than its "
           "conntrack keeps them (120 s)";
  return fmt::format(
      "{:.0f} % of new connections reuse a 4-tuple in the server's TIME_WAIT; PAWS drops the "
      "first SYN of {:.0f} %, {}",
      100 * s.into_time_wait, 100 * s.dropped,
      p.input.rfc1337
          ? fmt::format("and with tcp_rfc1337=1 the TIME_WAIT survives the client's RST: {:.0f} % "
                        "wait 1 to 7 s for retransmissions (some fail under a short connect "
                        "timeout)",
                        100 * s.delayed)
          : fmt::format("resent at once after the client's RST ends the TIME_WAIT: "
                        "none fail, ~{:.1f} % wait for the 1 s retransmission",
                        100 * s.delayed));
}

std::string exhaustion_text(const Plan& p) {
  if (!p.sustainable_total)
    return p.snat ? "never: the SNAT evicts closed entries; the cost is dropped SYNs (below)"
                  : "never: TIME_WAIT does not limit this traffic";
  if (!p.input.rate_lower_bound.empty() && p.headroom && *p.headroom <= 1.05)
    return "now: the pool was exhausted in the input, so connections are failing (the demand is "
           "higher than the rate measured)";
  if (p.input.traced_demand && p.input.traced_demand->failed_total() > 0)
    return fmt::format(
        "now: {:.0f} % of connect() calls failed while traced; {}",
        100 * p.input.traced_demand->failing_share(),
        p.exhausted_after_s
            ? fmt::format("over the sustainable rate an empty pool runs out after {:.1f} s",
                          *p.exhausted_after_s)
            : std::string("the demand fits the pool planned for"));
  if (p.exhausted_after_s)
    // The client's own pool fails in connect(); a NAT's fails on the wire (dropped SYNs).
    return fmt::format(
        "now: over the sustainable rate, an empty pool runs out after {:.1f} s, then {} until "
        "ports come back",
        *p.exhausted_after_s,
        p.binding != 0u ? "new connections fail at the NAT (SYNs dropped or retransmitted)"
        : p.input.bind_before_connect ? "bind() fails with EADDRINUSE"
                                      : "connect() fails with EADDRNOTAVAIL");
  if (p.months_to_exhaustion && *p.months_to_exhaustion == 0)
    return "now: at the sustainable rate, no headroom";
  if (p.months_to_exhaustion)
    return fmt::format("in {:.1f} months at {:g} % growth a month", *p.months_to_exhaustion,
                       p.input.growth_percent);
  return "not at this rate (give --growth PERCENT for a date)";
}

std::string render_table(const Plan& p, const std::vector<Lever>& levers, size_t width) {
  const PlanInput& in = p.input;
  Footnotes notes;
  std::string out;
  out += wrap_text(
      fmt::format("Capacity plan ({}): {:.4g} new connections/s toward each of {} destination(s) "
                  "({} address(es) x {} port(s)), from {} source address(es){}; requests per "
                  "connection: {:g}",
                  in.from.empty() ? "flags" : in.from, in.rate, with_commas(in.destinations()),
                  in.dest_addrs, in.dest_ports, in.source_addrs,
                  in.nat == NatKind::kNone ? std::string()
                                           : fmt::format(", through NAT {} ({} address(es))",
                                                         nat_name(in.nat), in.nat_addrs),
                  in.requests_per_connection),
      width);
  // Footnote numbers follow reading order: mark before formatting (argument order is unspecified).
  const std::string tw_mark = in.time_wait_from_input ? "(from the input)"
                              : in.time_wait_s        ? "(given)"
                                                      : notes.mark(in.time_wait_source());
  const std::string pool_mark = in.pool_from_input ? "(from the input)"
                                : in.pool          ? "(given)"
                                                   : notes.mark(in.pool_source());
  out += wrap_text(fmt::format("Platform {}: TIME_WAIT {:g} s {}; port range {}-{} ({} usable) {}",
                               platform_name(in.platform), p.time_wait_s, tw_mark, p.pool.low,
                               p.pool.high, with_commas(p.pool.usable()), pool_mark),
                   width);
  out += "\n";
  Table pools({{"POOL", false},
               {"PORTS"},
               {"HOLD"},
               {"SUSTAINS"},
               {"LOAD"},
               {"USE", true, 1},
               {"SOURCE", false}});
  for (size_t i = 0; i < p.limits.size(); ++i) {
    const PoolLimit& l = p.limits[i];
    pools.add({l.what + (p.binding == i ? " (binding)" : ""), with_commas(l.ports),
               l.reuse ? fmt::format("{:g} s (reuse)", in.reuse_delay_s) : seconds_text(l.hold_s),
               rate_text(l.sustainable), fmt::format("{:.1f}/s", l.rate),
               l.sustainable ? fmt::format("{:.0f} %", 100 * l.rate / *l.sustainable) : "-",
               notes.mark(l.source)});
  }
  out += pools.render(width) + "\n";
  auto line = [&](std::string_view label, const std::string& value) {
    out += wrap_text(value, width, fmt::format("{:<22}", label), std::string(22, ' '));
  };
  line("Sustainable",
       fmt::format("{} per tuple, {} in total (today {:.1f}/s)", rate_text(p.sustainable_per_tuple),
                   rate_text(p.sustainable_total), p.total_rate));
  // A rate measured on an exhausted pool is what the pool let through: the headroom is at most
  // that, never a margin.
  const bool lower = !in.rate_lower_bound.empty();
  line("Headroom", p.headroom ? fmt::format("{}{} ({:+.1f}/s){}", lower ? "at most " : "",
                                            factor(p.headroom), *p.sustainable_total - p.total_rate,
                                            lower ? ": the rate is a lower bound" : "")
                              : "unlimited by TIME_WAIT");
  line("Exhaustion", exhaustion_text(p));
  if (p.snat) line("SYNs via the SNAT", snat_text(p));
  if (in.traced_demand) {
    const std::string mark = notes.mark(kSrcTracedDemand);
    line("Demand", traced_text(in) + " " + mark);
  }
  if (!in.rate_lower_bound.empty()) line("Rate", in.rate_lower_bound);
  const std::string closer_mark = notes.mark(kSrcActiveCloser);
  const std::string memory_mark = notes.mark(kSrcMemory);
  line("TIME_WAIT",
       fmt::format("{} on the {} (it closes first) {}, {} at {} B each {}{}",
                   with_commas(p.time_wait_count), closer_name(p.time_wait_side), closer_mark,
                   bytes_text(p.time_wait_bytes), kTimeWaitBytes, memory_mark,
                   p.over_max_tw_buckets ? " (capped by tcp_max_tw_buckets)" : ""));
  for (const std::string& n : p.notes) line("Note", n);
  out += "\n";
  Table lt({{"LEVER", false}, {"SUSTAINS"}, {"HEADROOM"}, {"GAIN"}, {"SOURCE", false}});
  std::string how;
  for (const Lever& l : levers) {
    const std::string mark = notes.mark(l.source);
    if (l.applies)
      lt.add({l.name, rate_text(l.sustainable_total), factor(l.headroom), factor(l.gain), mark});
    else
      lt.add({l.name, "-", "-", "no gain", mark});
    how +=
        wrap_text((l.applies ? "" : "no gain: ") + l.change, width, "- " + l.name + ": ", "    ");
  }
  out += lt.render(width) + "\n" + how + "\n";
  out += "Sources:\n";
  for (size_t i = 0; i < notes.list.size(); ++i)
    out += wrap_text(notes.list[i], width, fmt::format("[{}] ", i + 1), "    ");
  // The input's description holds a snapshot's hostname and a plan file's text.
  return printable(out);
}

nlohmann::json traced_json(const PlanInput& in) {
  if (!in.traced_demand) return nullptr;
  const TracedDemand& d = *in.traced_demand;
  return {{"file", d.file},
          {"seconds", d.seconds},
          {"connects", d.connects},
          {"failed_connects", d.failed},
          {"failed_connects_total", d.failed_total()},
          {"attempts_per_s", d.rate()},
          {"failing_share", d.failing_share()},
          {"lost", d.lost},
          {"text", traced_text(in)},
          {"source", kSrcTracedDemand}};
}

nlohmann::json to_json(const Plan& p, const std::vector<Lever>& levers) {
  const PlanInput& in = p.input;
  nlohmann::json j;
  j["schema"] = "timewait-plan/1";
  nlohmann::json reserved = nlohmann::json::array();
  for (auto [a, b] : p.pool.reserved) reserved.push_back({a, b});
  j["input"] = {{"from", in.from.empty() ? "flags" : in.from},
                {"rate", in.rate},
                {"requests_per_connection", in.requests_per_connection},
                {"who_closes", closer_name(in.who_closes)},
                {"source_addrs", in.source_addrs},
                {"dest_addrs", in.dest_addrs},
                {"dest_ports", in.dest_ports},
                {"platform", platform_name(in.platform)},
                {"time_wait", p.time_wait_s},
                {"time_wait_source", in.time_wait_from_input ? "input"
                                     : in.time_wait_s        ? "given"
                                                             : in.time_wait_source()},
                {"port_range", {{"low", p.pool.low}, {"high", p.pool.high}}},
                {"reserved_ports", reserved},
                {"usable_ports", p.pool.usable()},
                {"port_range_source", in.pool_from_input ? "input"
                                      : in.pool          ? "given"
                                                         : in.pool_source()},
                {"rate_lower_bound", !in.rate_lower_bound.empty()},
                {"rate_note", in.rate_lower_bound},
                {"traced_demand", traced_json(in)},
                {"rfc1337", in.rfc1337},
                {"tw_reuse", in.tw_reuse},
                {"timestamps", in.timestamps},
                {"reuse_delay_ms", in.reuse_delay_s * 1000},
                {"bind_before_connect", in.bind_before_connect},
                {"nat", nat_name(in.nat)},
                {"nat_addrs", in.nat_addrs},
                {"growth_percent", in.growth_percent}};
  j["pools"] = nlohmann::json::array();
  for (size_t i = 0; i < p.limits.size(); ++i) {
    const PoolLimit& l = p.limits[i];
    j["pools"].push_back({{"what", l.what},
                          {"ports", l.ports},
                          {"hold_s", l.reuse ? in.reuse_delay_s : l.hold_s},
                          {"reuse", l.reuse},
                          {"tuples_per_pool", l.tuples_per_pool},
                          {"rate", l.rate},
                          {"sustainable", optional_number(l.sustainable)},
                          {"exhausted_after_s", optional_number(l.exhausted_after_s)},
                          {"binding", p.binding == i},
                          {"source", l.source}});
  }
  j["sustainable"] = {{"per_tuple", optional_number(p.sustainable_per_tuple)},
                      {"total", optional_number(p.sustainable_total)}};
  j["total_rate"] = p.total_rate;
  j["headroom"] = optional_number(p.headroom);
  j["snat_syns"] = p.snat ? nlohmann::json{{"into_time_wait", p.snat->into_time_wait},
                                           {"dropped", p.snat->dropped},
                                           {"delayed", p.snat->delayed},
                                           {"failed", p.snat->failed},
                                           {"text", snat_text(p)}}
                          : nlohmann::json(nullptr);
  j["exhaustion"] = {{"after_s", optional_number(p.exhausted_after_s)},
                     {"months", optional_number(p.months_to_exhaustion)},
                     {"text", exhaustion_text(p)}};
  j["time_wait"] = {{"side", closer_name(p.time_wait_side)},
                    {"count", p.time_wait_count},
                    {"bytes", p.time_wait_bytes},
                    {"bytes_each", kTimeWaitBytes},
                    {"over_max_tw_buckets", p.over_max_tw_buckets},
                    {"source", std::string(kSrcActiveCloser) + "; " + kSrcMemory}};
  j["levers"] = nlohmann::json::array();
  for (const Lever& l : levers)
    j["levers"].push_back({{"name", l.name},
                           {"applies", l.applies},
                           {"change", l.change},
                           {"sustainable_total", optional_number(l.sustainable_total)},
                           {"total_rate", l.total_rate},
                           {"headroom", optional_number(l.headroom)},
                           {"gain", optional_number(l.gain)},
                           {"source", l.source}});
  j["notes"] = p.notes;
  return j;
}

}  // namespace tw::plan
