// SPDX-License-Identifier: Apache-2.0
// `timewait plan`: how many new connections per second the ports, TIME_WAIT and NAT in the path
// sustain, and what each lever buys. The arithmetic is in src/plan/.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "census/census.h"
#include "census/port_pool.h"
#include "cli/command.h"
#include "cli/offline_input.h"
#include "cli/option_checks.h"
#include "cli/terminal.h"
#include "import/input_file.h"
#include "plan/from_census.h"
#include "plan/from_trace.h"
#include "plan/levers.h"
#include "plan/render.h"

namespace tw::cli {

namespace {

struct PlanFlags {
  CLI::App* sub = nullptr;
  std::string input;  // JSON file
  std::string trace;  // trace --json output: the demand toward the --from tuple
  OfflineFlags offline;
  bool json = false;
  double rate = 0, requests = 1, growth = 0, keepalive = 100;
  int64_t source_addrs = 1, nat_addrs = 1, dest_addrs = 1, dest_ports = 1, time_wait = 60,
          reuse_delay_ms = 1000, nat_ports = 0, tw_reuse = 1;
  std::string port_range, reserved, who_closes, platform, nat;
  bool no_timestamps = false, bind_before_connect = false, rfc1337 = false;
};

Status read_json_file(const std::string& path, plan::PlanInput* in) {
  std::ifstream f(path);
  if (!f)
    return fail(fmt::format("--input {}: cannot open the file; give a JSON plan input", path));
  // A plan input is a flat object of a few dozen members: a file much larger or deeper is not
  // one, and is refused before the parser holds it.
  constexpr std::streamoff kMaxBytes = 1 << 20;
  constexpr int kMaxDepth = 8;
  std::string text(kMaxBytes + 1, '\0');
  f.read(text.data(), kMaxBytes + 1);  // a pipe (--input /dev/stdin) has no size to ask first
  text.resize(static_cast<size_t>(f.gcount()));
  if (static_cast<std::streamoff>(text.size()) > kMaxBytes)
    return fail(
        fmt::format("--input {}: larger than {} KiB; not a plan input (docs/plan.md "
                    "shows the form)",
                    path, kMaxBytes >> 10));
  bool too_deep = false;
  nlohmann::json j = nlohmann::json::parse(
      text,
      [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        too_deep = too_deep || depth > kMaxDepth;
        return !too_deep;
      },
      false);
  if (too_deep)
    return fail(
        fmt::format("--input {}: nested deeper than {} levels; not a plan input "
                    "(docs/plan.md shows the form)",
                    path, kMaxDepth));
  if (j.is_discarded())
    return fail(fmt::format("--input {}: not valid JSON (docs/plan.md shows the form)", path));
  if (auto st = plan::apply_json(j, in); !st)
    return fail(fmt::format("--input {}: {}", path, st.error()));
  if (in->from.empty()) in->from = path;
  // What the file gives replaces what --from measured.
  if (j.contains("port_range") || j.contains("reserved_ports")) in->pool_from_input = false;
  if (j.contains("time_wait")) in->time_wait_from_input = false;
  if (j.contains("rate")) {
    in->rate_lower_bound.clear();
    in->traced_demand.reset();
  }
  return {};
}

Status read_census(const OfflineFlags& offline, plan::PlanInput* in) {
  auto input = open_input(InputSpec{offline.from, offline.format, offline.strict});
  if (!input) return fail(input.error());
  auto facts = (*input)->facts();
  if (!facts) return fail(facts.error());
  PoolChoice choice = choose_pool(**facts, std::nullopt);
  if (!choice.error.empty()) return fail(choice.error);
  Census census(CensusOptions{StateMask::all(), GroupBy::kTuple, choice.pool});
  FunctionReceiver counted([&](const Socket& s) { census.add(s); }, {});
  if (auto r = (*input)->stream(StateMask::all(), counted); !r) return fail(r.error());
  if (auto st = plan::apply_census(census, **facts, in); !st)
    return fail(fmt::format("--from {}: {}", offline.from, st.error()));
  return {};
}

// Flags override --from and --input: each is applied only when given.
Status apply_flags(const PlanFlags& fl, plan::PlanInput* in) {
  auto has = [&](const char* name) { return fl.sub->count(name) > 0; };
  if (has("--platform")) {
    auto p = plan::parse_platform(fl.platform);
    if (!p) return fail("--platform: " + p.error());
    in->platform = *p;
  }
  if (has("--rate")) in->rate = fl.rate;
  if (has("--requests-per-connection")) in->requests_per_connection = fl.requests;
  if (has("--source-addrs")) in->source_addrs = int(fl.source_addrs);
  if (has("--nat-addrs")) in->nat_addrs = int(fl.nat_addrs);
  if (has("--dest-addrs")) in->dest_addrs = int(fl.dest_addrs);
  if (has("--dest-ports")) in->dest_ports = int(fl.dest_ports);
  if (has("--port-range") || has("--reserved-ports")) in->pool_from_input = false;
  if (has("--time-wait")) in->time_wait_from_input = false;
  if (has("--rate")) {
    in->rate_lower_bound.clear();
    in->traced_demand.reset();
  }
  if (has("--rfc1337")) in->rfc1337 = true;
  if (has("--port-range")) {
    auto p = parse_port_range_option(fl.port_range);
    if (!p) return fail(p.error());
    if (in->pool) p->reserved = in->pool->reserved;
    in->pool = *p;
  }
  if (has("--reserved-ports")) {
    auto list = parse_port_list(fl.reserved);
    if (!list) return fail("--reserved-ports: " + list.error());
    if (!in->pool) in->pool = in->effective_pool();
    in->pool->reserved = *list;
  }
  if (has("--time-wait")) in->time_wait_s = double(fl.time_wait);
  if (has("--who-closes")) {
    auto c = plan::parse_closer(fl.who_closes);
    if (!c) return fail("--who-closes: " + c.error());
    in->who_closes = *c;
  }
  if (has("--reuse")) in->tw_reuse = int(fl.tw_reuse);
  if (has("--reuse-delay")) in->reuse_delay_s = fl.reuse_delay_ms / 1000.0;
  if (has("--no-timestamps")) in->timestamps = false;
  if (has("--bind-before-connect")) in->bind_before_connect = true;
  if (has("--nat")) {
    auto n = plan::parse_nat(fl.nat);
    if (!n) return fail("--nat: " + n.error());
    in->nat = *n;
  }
  if (has("--nat-ports")) in->nat_ports = fl.nat_ports;
  if (has("--growth")) in->growth_percent = fl.growth;
  if (has("--keepalive")) in->keepalive_requests = fl.keepalive;
  if (in->nat == plan::NatKind::kNone)
    if (auto o = given(fl.sub, {"--nat-ports", "--nat-addrs"}); !o.empty())
      return fail(fmt::format("{} describes the NAT in the path; give --nat KIND too", o));
  return {};
}

int run(const PlanFlags& fl) {
  if (fl.offline.from.empty())
    if (auto o = given(fl.sub, {"--format", "--strict"}); !o.empty())
      return error(fmt::format("{} describes the file of --from; give --from FILE too", o));
  plan::PlanInput in;
  if (!fl.offline.from.empty())
    if (auto st = read_census(fl.offline, &in); !st) return error(st.error());
  if (!fl.trace.empty()) {
    if (fl.offline.from.empty())
      return error(
          "--trace gives the demand toward the tuple a snapshot measured; give --from "
          "SNAPSHOT too");
    auto t = plan::read_trace_file(fl.trace);
    if (!t) return error(fmt::format("--trace {}: {}", fl.trace, t.error()));
    if (auto st = plan::apply_trace(*t, fl.trace, &in); !st)
      return error(fmt::format("--trace {}: {}", fl.trace, st.error()));
  }
  if (!fl.input.empty())
    if (auto st = read_json_file(fl.input, &in); !st) return error(st.error());
  if (auto st = apply_flags(fl, &in); !st) return error(st.error());
  if (in.rate == 0 && fl.offline.from.empty() && fl.input.empty())
    return error(
        "give --rate N (new connections/s toward one destination), --input FILE or "
        "--from SNAPSHOT");
  auto p = plan::make_plan(in);
  if (!p) return error(p.error());
  const auto lv = plan::levers(*p);
  if (fl.json)
    fmt::print("{}\n",
               plan::to_json(*p, lv).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  else
    fmt::print("{}", plan::render_table(*p, lv, output_width()));
  return kExitOk;
}

Register plan_command(27, [](CLI::App& app) {
  auto fl = std::make_shared<PlanFlags>();
  CLI::App* sub = app.add_subcommand(
      "plan",
      "Capacity plan: the new connections per second the ports, TIME_WAIT and NAT in the path "
      "sustain, steady-state TIME_WAIT and its memory, headroom, time to exhaustion, and what "
      "each lever buys, each number with its source.");
  fl->sub = sub;
  sub->add_option("--rate", fl->rate, "New connections per second toward one destination")
      ->check(number(0, 1e9));
  sub->add_option("--requests-per-connection", fl->requests,
                  "Requests each connection carries today (keep-alive; default 1)")
      ->check(number(1, 1e9));
  sub->add_option("--port-range", fl->port_range,
                  "Ephemeral range LOW-HIGH (default: the platform's, Linux 32768-60999)");
  allow_empty_value(sub->add_option(
      "--reserved-ports", fl->reserved,
      "Ports kept out of the range, as ip_local_reserved_ports (8080,9000-9010; \"\": none)"));
  sub->add_option("--time-wait", fl->time_wait,
                  "TIME_WAIT seconds (default: Linux 60, Windows 120, other 2MSL = 240)")
      ->check(whole_number(1, 3600));
  sub->add_option("--platform", fl->platform, "linux (default), windows or other");
  sub->add_option("--source-addrs", fl->source_addrs, "Client source addresses (default 1)")
      ->check(whole_number(1, 1 << 20));
  sub->add_option("--dest-addrs", fl->dest_addrs, "Destination addresses (default 1)")
      ->check(whole_number(1, 1 << 20));
  sub->add_option("--dest-ports", fl->dest_ports, "Destination ports per address (default 1)")
      ->check(whole_number(1, 65535));
  sub->add_option("--who-closes", fl->who_closes,
                  "client (default) or server: the side that closes first holds TIME_WAIT");
  sub->add_option("--reuse", fl->tw_reuse,
                  "tcp_tw_reuse on the client: 0, 1 or 2 (the default, loopback only); bare "
                  "--reuse means 1")
      ->expected(0, 1)
      ->default_str("1")
      ->check(whole_number(0, 2));
  sub->add_option("--reuse-delay", fl->reuse_delay_ms, "tcp_tw_reuse_delay in ms (default 1000)")
      ->check(whole_number(1, 60000));
  sub->add_flag("--no-timestamps", fl->no_timestamps, "tcp_timestamps are off");
  sub->add_flag("--bind-before-connect", fl->bind_before_connect,
                "Clients bind(addr, 0) before connect() without IP_BIND_ADDRESS_NO_PORT");
  sub->add_option("--nat", fl->nat, "NAT in the path: none, linux-snat, aws, azure, gcp");
  sub->add_option("--nat-addrs", fl->nat_addrs, "The NAT's public (SNAT) addresses (default 1)")
      ->check(whole_number(1, 1 << 16));
  sub->add_option("--nat-ports", fl->nat_ports,
                  "linux-snat: SNAT ports per address (default: the port range); gcp: minimum "
                  "ports per VM (default 64)")
      ->check(whole_number(1, 65535));
  sub->add_flag("--rfc1337", fl->rfc1337,
                "The server's tcp_rfc1337 is 1 (linux-snat: a TIME_WAIT survives the client's "
                "RST, so SYNs PAWS drops fail instead of being resent)");
  sub->add_option("--growth", fl->growth, "Growth of the rate in percent per month")
      ->check(number(0, 1000));
  sub->add_option("--keepalive", fl->keepalive,
                  "Requests per connection for the keep-alive lever (default 100)")
      ->check(number(2, 1e9));
  sub->add_option("--input", fl->input, "A JSON plan input (docs/plan.md); flags override it");
  sub->add_option("--trace", fl->trace,
                  "With --from: the demand is the connect() attempts (made and failed) `timewait "
                  "trace --json` counted toward the snapshot's busiest tuple, not the TIME_WAITs "
                  "the pool let through");
  sub->add_flag("--json", fl->json, "JSON output, schema timewait-plan/1 (docs/plan.md)");
  add_offline_flags(sub, &fl->offline);
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
