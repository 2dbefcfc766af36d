// SPDX-License-Identifier: Apache-2.0
// `timewait lab`: reproduce and measure TIME_WAIT scenarios in private network namespaces.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "lab/lab.h"
#include "lab/report.h"
#include "model/port_range.h"

namespace tw::cli {

namespace {

struct LabFlags {
  std::vector<std::string> names;
  bool json = false;
  lab::LabOptions options;
  std::string port_range;
};

Status parse_range(const std::string& text, lab::LabOptions* o) {
  auto p = parse_port_range_option(text);
  if (!p || p->low < 1024)
    return fail(
        fmt::format("--port-range '{}': want LOW-HIGH within 1024-65535, e.g. 40000-40499", text));
  o->port_low = p->low;
  o->port_high = p->high;
  return {};
}

// A line on standard error that says which scenario runs, rewritten in place; only on a
// terminal, so a log or a pipe of results never holds it. Cleared before results are printed
// (standard output may be the same terminal).
class ProgressLine {
 public:
  ProgressLine() : on_(isatty(STDERR_FILENO) == 1) {}
  void show(const std::string& text) {
    if (!on_) return;
    clear();
    fmt::print(stderr, "{}", text);
    std::fflush(stderr);
    shown_ = text.size();
  }
  // Spaces over the line rather than an escape sequence: TERM=dumb terminals have none.
  void clear() {
    if (!on_ || shown_ == 0) return;
    fmt::print(stderr, "\r{}\r", std::string(shown_, ' '));
    std::fflush(stderr);
    shown_ = 0;
  }

 private:
  bool on_;
  size_t shown_ = 0;
};

int run(LabFlags& fl) {
  if (!fl.port_range.empty())
    if (auto st = parse_range(fl.port_range, &fl.options); !st) return error(st.error());
  // !(x >= 0) also refuses nan, which passes every comparison.
  if (!(fl.options.rate >= 0) || !std::isfinite(fl.options.rate) || !(fl.options.duration >= 0) ||
      fl.options.count < 0)
    return error("--rate, --duration and --count take finite numbers that are not negative");
  if (fl.options.duration > 55)
    return error("--duration must stay below 55 s (TIME_WAIT lasts 60 s)");
  // Like a missing namespace for census: the run cannot start, exit 2 with one line.
  if (auto st = lab::check_privileges(); !st) return error(st.error());
  bool first = true, confirmed = true;
  size_t done = 0, differ = 0;
  std::vector<std::string> cleaned;
  ProgressLine progress;
  const auto start = std::chrono::steady_clock::now();
  auto st = lab::run_scenarios(
      fl.names, fl.options,
      [&](const lab::ScenarioResult& r) {
        confirmed = confirmed && r.confirmed();
        ++done;
        differ += r.confirmed() ? 0 : 1;
        progress.clear();
        // One JSON object per line as each scenario ends (JSON Lines): a long `all` run shows
        // its results as they come, and a reader can act on each.
        if (fl.json)
          fmt::print("{}\n", lab::to_json(r).dump());
        else
          fmt::print("{}{}", first ? "" : "\n", lab::render_table(r));
        std::fflush(stdout);
        first = false;
      },
      &cleaned,
      [&](const lab::LabProgress& p) {
        auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  start)
                     .count();
        progress.show(fmt::format("lab: {}/{} {} ({} done, {} differ{}, {} s)", p.index + 1,
                                  p.total, p.name, done, differ, differ == 1 ? "s" : "", s));
      });
  progress.clear();
  if (!cleaned.empty())
    note(fmt::format("removed {} namespace(s) left by a killed lab run", cleaned.size()));
  if (!st) {
    bool usage = st.error().rfind("unknown scenario", 0) == 0 || st.error().rfind("name a", 0) == 0;
    return error(st.error(), usage ? kExitUsage : kExitFailure);
  }
  return confirmed ? kExitOk : kExitFailure;
}

Register lab_command(30, [](CLI::App& app) {
  auto fl = std::make_shared<LabFlags>();
  CLI::App* sub = app.add_subcommand(
      "lab",
      "Reproduce TIME_WAIT scenarios in private network namespaces and measure them against "
      "theory (needs root).");
  sub->require_subcommand(1);
  CLI::App* list = sub->add_subcommand("list", "List the scenarios");
  CLI::App* runc = sub->add_subcommand("run", "Run scenarios: NAME... or all");
  runc->add_option("SCENARIO", fl->names, "Scenario names (timewait lab list), or all")->required();
  runc->add_flag(
      "--json", fl->json,
      "JSON Lines: one object per scenario, printed as it finishes (documented in \"timewait "
      "lab\", section \"JSON\", of the timewait docs)");
  runc->add_option("--rate", fl->options.rate,
                   "churn: new connections per second (default: as fast as possible); "
                   "nat-lb: the top rate step (default 512)");
  runc->add_option("--count", fl->options.count,
                   "connections, requests or trials per scenario (default: each scenario's own); "
                   "nat-lb and source-addresses: source addresses of the several-addresses "
                   "variant (default 4); bind-before-connect: destinations (default 4)");
  runc->add_option("--duration", fl->options.duration,
                   "churn: seconds per variant (default 3); nat-lb: seconds per rate step "
                   "(default 2); fin-timeout: the short tcp_fin_timeout (default 5); below 55");
  runc->add_option("--port-range", fl->port_range,
                   "churn: the client's ip_local_port_range LOW-HIGH (default 40000-40499); "
                   "nat-lb: the balancer's SNAT ports per address (default 40000-40063); "
                   "bind-before-connect, source-addresses: the client's range (default "
                   "40000-40063); port-range-per-socket: the parity run's range (default "
                   "40000-47999)");
  runc->add_flag("--compare-blocking", fl->options.compare_blocking,
                 "churn: also measure a minimal blocking connect/close loop and report the ratio");
  return std::pair{sub, std::function<int()>([fl, list] {
                     if (list->parsed()) {
                       fmt::print("{}", lab::render_list());
                       return kExitOk;
                     }
                     return run(*fl);
                   })};
});

}  // namespace

}  // namespace tw::cli
