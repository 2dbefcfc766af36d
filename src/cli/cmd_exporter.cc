// SPDX-License-Identifier: Apache-2.0
// `timewait exporter`: serves /metrics for Prometheus from the shared live sampler.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "cli/command.h"
#include "cli/option_checks.h"
#include "cli/pod_option.h"
#include "cli/version.h"
#include "exporter/exporter.h"
#include "exporter/server.h"
#include "model/endpoint.h"

namespace tw::cli {

namespace {

struct ExporterFlags {
  CLI::App* sub = nullptr;
  std::string listen = fmt::format("127.0.0.1:{}", kDefaultExporterPort);
  std::vector<std::string> netns;
  std::vector<int> pids;
  bool all_netns = false;
  double min_interval = 5;
  int64_t top_tuples = 10;
  int64_t max_connections = 2048;
  int64_t max_connections_per_ip = 64;
  std::string web_config;
  std::string source = "auto";
  HostPaths paths;
};

// What the start line says about the web config file: TLS and auth are visible in the log.
std::string server_auth_note(const std::string* file, bool tls) {
  if (!file) return "";
  return fmt::format(" ({}web config {})", tls ? "TLS, " : "", *file);
}

// --netns and --pid (none: the exporter's own namespace), each a namespace now under the node's
// paths.
Result<std::vector<SampleTarget>> exporter_targets(const ExporterFlags& fl) {
  std::vector<SampleTarget> out;
  std::set<std::string> seen;
  for (const auto& n : fl.netns) {
    if (!seen.insert(n).second) return fail(fmt::format("--netns {} is given twice", n));
    out.push_back(SampleTarget{n});
  }
  for (int pid : fl.pids) {
    if (!seen.insert(fmt::format("pid:{}", pid)).second)
      return fail(fmt::format("--pid {} is given twice", pid));
    out.push_back(SampleTarget{"", pid});
  }
  if (out.empty()) out.push_back(SampleTarget{});
  const auto refs = refs_of_targets(out, fl.paths);
  for (const auto& r : refs) {
    if (r.inode || r.self) continue;
    if (r.pid)
      return fail(fmt::format("--pid {}: no such process (its network namespace is {}/{}/ns/net)",
                              r.pid, fl.paths.procfs, r.pid));
    return fail(fmt::format(
        "--netns {}: no such network namespace under {} (`ip netns list` shows the names)", r.name,
        fl.paths.run_netns()));
  }
  return out;
}

int run(const ExporterFlags& fl) {
  auto ep = Endpoint::parse(fl.listen);
  if (!ep || ep->is_named() || ep->addr.is_name())
    return error(
        fmt::format("--listen {}: give a numeric address and port, as 127.0.0.1:{} or "
                    "[::1]:{}",
                    fl.listen, kDefaultExporterPort, kDefaultExporterPort));
  if (fl.all_netns && (!fl.netns.empty() || !fl.pids.empty()))
    return error("--all-netns reads every namespace; leave out --netns and --pid");
  auto kind = parse_source(fl.source);
  if (!kind) return error(kind.error());
  if (fl.sub->count("--web.config.file") && fl.web_config.empty())
    return error("--web.config.file: give a file (exporter-toolkit's web configuration)");
  // Read and checked before anything else starts: a mistake in it is one line and exit 2.
  WebConfig web;
  if (!fl.web_config.empty()) {
    auto loaded = load_web_config(fl.web_config);
    if (!loaded) return error(loaded.error());
    web = std::move(*loaded);
  }

  if (auto bad = check_host_paths(fl.paths); !bad.empty()) return error(bad);

  ExporterConfig cfg;
  cfg.all_netns = fl.all_netns;
  auto found = std::make_shared<FoundInodes>();
  cfg.discover = [paths = fl.paths, found] {
    auto refs = discover_netns(paths);
    if (refs) found->set(*refs);
    return refs;
  };
  cfg.label = [paths = fl.paths](const std::vector<NetnsRef>& refs) {
    return label_node(refs, paths);
  };
  // Every set is a node read (all_netns below): it enters each namespace through the paths.
  cfg.sampler.enter = enter_under(fl.paths, found);
  if (!fl.all_netns) {
    auto targets = exporter_targets(fl);
    if (!targets) return error(targets.error());
    // Given namespaces are described as --all-netns describes what it finds (netns, pod labels,
    // the info series), again at most once per --min-interval.
    cfg.all_netns = true;
    cfg.discover = [targets = std::move(*targets), paths = fl.paths, found] {
      auto refs = refs_of_targets(targets, paths);
      found->set(refs);
      return Result<std::vector<NetnsRef>>(std::move(refs));
    };
  }
  cfg.sampler.source = *kind;
  cfg.sampler.min_interval =
      std::chrono::milliseconds(static_cast<int64_t>(fl.min_interval * 1000));
  cfg.sampler.history = 2;  // the exporter needs only the previous sample's facts
  cfg.metrics.top_tuples = static_cast<size_t>(fl.top_tuples);
  const BuildInfo& build = build_info();
  cfg.metrics.build = {build.version, build.commit, build.branch, compiler_text()};

  // SIGTERM, SIGINT and SIGHUP are taken by one thread (sigwait), blocked in every other: they
  // stop the server instead of killing the process in the middle of a response. SIGHUP's default
  // (a closed terminal, a stray `kill -HUP` meant as "reload") would end it mid-scrape.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Exporter exporter(std::move(cfg));
  ServerOptions so;
  so.host = ep->addr.to_string();
  so.port = ep->port;
  so.max_connections = static_cast<size_t>(fl.max_connections);
  so.max_connections_per_ip = static_cast<size_t>(fl.max_connections_per_ip);
  so.web = std::move(web);
  const bool tls = so.web.tls;
  MetricsServer server(so, ServerHandlers{[&exporter] { return exporter.scrape(); }});
  if (auto st = server.bind(); !st) return error(st.error(), kExitFailure);
  const std::string host = ep->addr.is_v4() ? so.host : "[" + so.host + "]";
  fmt::print(stderr, "timewait exporter: listening on {}://{}:{}/metrics{}\n",
             tls ? "https" : "http", host, server.port(),
             server_auth_note(fl.web_config.empty() ? nullptr : &fl.web_config, tls));

  std::atomic<bool> served = false;
  int got = 0;
  std::thread waiter([&] {
    sigwait(&stop_signals, &got);
    // stop() is a no-op until the server runs: repeat until run() has returned.
    while (!served) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  bool ok = server.run();
  served = true;
  if (!got) pthread_kill(waiter.native_handle(), SIGTERM);  // run() ended on its own
  waiter.join();
  if (!ok && !got) return error("the HTTP server stopped unexpectedly", kExitFailure);
  fmt::print(stderr, "timewait exporter: stopped ({}), {} requests, {} censuses\n",
             got == SIGINT   ? "SIGINT"
             : got == SIGHUP ? "SIGHUP"
                             : "SIGTERM",
             server.requests(), exporter.censuses_total());
  return kExitOk;
}

Register exporter_command(40, [](CLI::App& app) {
  auto fl = std::make_shared<ExporterFlags>();
  CLI::App* sub = app.add_subcommand(
      "exporter",
      "Serve Prometheus metrics (/metrics): sockets per state, TIME_WAIT rate, the ephemeral "
      "pool and per-destination port pressure, per network namespace. Read-only.");
  fl->sub = sub;
  sub->add_option("--listen", fl->listen,
                  fmt::format("Address and port to serve on (loopback by default; {} is outside "
                              "Prometheus' allocated exporter ports 9100-9999)",
                              kDefaultExporterPort))
      ->capture_default_str();
  sub->add_option("--netns", fl->netns, "Read this named network namespace (repeatable)");
  sub->add_option("--pid", fl->pids, "Read the network namespace of this process (repeatable)")
      ->check(whole_number(1, INT32_MAX));
  sub->add_flag("--all-netns", fl->all_netns,
                "Read every network namespace on the host (/run/netns and /proc/*/ns/net, one "
                "per namespace), found again at most once per --min-interval");
  sub->add_option("--min-interval", fl->min_interval,
                  "Seconds a census is reused: concurrent scrapes share one census")
      ->check(seconds(0, 3600))
      ->capture_default_str();
  sub->add_option("--top-tuples", fl->top_tuples,
                  "Per-tuple series for the worst K destination tuples per namespace (bounded "
                  "cardinality; aggregates cover every tuple)")
      ->check(whole_number(0, 1000))
      ->capture_default_str();
  sub->add_option("--max-connections", fl->max_connections,
                  "Connections open at once; past it a new one is closed as soon as it is "
                  "accepted")
      ->check(whole_number(1, 65536))
      ->capture_default_str();
  sub->add_option("--max-connections-per-ip", fl->max_connections_per_ip,
                  "Connections open at once from one client address (0: no limit), so that a "
                  "few hostile addresses cannot take every connection")
      ->check(whole_number(0, 65536))
      ->capture_default_str();
  sub->add_option("--web.config.file", fl->web_config,
                  "TLS and basic auth from Prometheus exporter-toolkit's web config file (YAML: "
                  "tls_server_config, basic_auth_users; node_exporter's file works unchanged)");
  sub->add_option("--source", fl->source, kSourceHelp)->capture_default_str();
  sub->add_option("--path.procfs", fl->paths.procfs,
                  "The host's /proc as mounted here (node_exporter's option): processes, their "
                  "namespaces and cgroups are read through it")
      ->capture_default_str();
  sub->add_option("--path.rootfs", fl->paths.rootfs,
                  "The host's root as mounted here (node_exporter's option): its run/netns (named "
                  "namespaces) and var/log/pods (pod names) are read under it")
      ->capture_default_str();
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
