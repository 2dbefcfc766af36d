// SPDX-License-Identifier: Apache-2.0
// `timewait doctor`: audits the host's TCP TIME_WAIT handling (settings, sockets, counters) and
// says what is wrong, why, and exactly what to do; `--apply` writes the safe kernel settings among
// the fixes, `--revert` undoes that.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "census/port_pool.h"
#include "census/table.h"
#include "cli/command.h"
#include "cli/offline_input.h"
#include "cli/option_checks.h"
#include "cli/pod_option.h"
#include "cli/terminal.h"
#include "cli/version.h"
#include "doctor/apply.h"
#include "doctor/apply_report.h"
#include "doctor/collector.h"
#include "doctor/render.h"
#include "doctor/rules.h"
#include "import/input_file.h"
#ifndef _WIN32
#include "lab/stop.h"
#endif
#include "sources/host_reader.h"
#include "sources/netns.h"
#include "sources/output_file.h"
#include "sources/windows_facts.h"
#include "sources/windows_settings.h"
#include "trace/requirements.h"
#include "trace/sample.h"

namespace tw::cli {

namespace {

struct DoctorFlags {
  CLI::App* sub = nullptr;
  std::string netns;
  int pid = 0;
  OfflineFlags offline;
  bool json = false;
  bool verbose = false;
  double interval = 0;
  double trace = 0;  // --trace: seconds of `timewait trace --summary` to name the processes
  std::string windows_reg, windows_dynamicport;
  std::string port_range;
  std::string source = "auto";
  bool apply = false, revert = false, yes = false;
  std::string root;
  std::string events = "24h";  // Windows: the event log window
  PodFlags pod;
  InputTarget target;  // --netns, --pid or --pod, resolved in run()
};

// The namespace named by --netns / --pid, entered for the rest of the process.
Status enter_target(const DoctorFlags& fl) {
  if (!fl.netns.empty()) return enter_netns_by_name(fl.netns);
  if (fl.pid) return enter_netns_of_pid(fl.pid);
  return {};
}

Status merge_windows_files(const DoctorFlags& fl, HostFacts* facts) {
  if (!fl.windows_reg.empty()) {
    auto bytes = read_whole_file(fl.windows_reg);
    if (!bytes) return fail(bytes.error());
    auto params = parse_reg_export(*bytes);
    if (!params) return fail(fmt::format("--windows-reg {}: {}", fl.windows_reg, params.error()));
    for (auto& [k, v] : *params) facts->windows_params[k] = v;
  }
  if (!fl.windows_dynamicport.empty()) {
    auto bytes = read_whole_file(fl.windows_dynamicport);
    if (!bytes) return fail(bytes.error());
    auto params = parse_netsh_dynamicport(*bytes);
    if (!params)
      return fail(
          fmt::format("--windows-dynamicport {}: {}", fl.windows_dynamicport, params.error()));
    for (auto& [k, v] : *params) facts->windows_params[k] = v;
  }
  if (!fl.windows_reg.empty() || !fl.windows_dynamicport.empty()) {
    if (!facts->os.empty() && facts->os != "windows")
      return fail(
          fmt::format("--windows-reg/--windows-dynamicport describe a Windows host, but "
                      "--from {} is a {} dump",
                      fl.offline.from, facts->os));
    facts->os = "windows";
  }
  return {};
}

// The namespace --apply writes and --revert restores (the caller has entered it).
Result<ApplyTarget> apply_target(const DoctorFlags& fl, const HostFacts& facts) {
  auto id = netns_identity_of_self();
  if (!id) return fail(id.error());
  ApplyTarget t;
  t.host_netns = id->host;
  t.name = !fl.netns.empty() ? fl.netns : id->name;
  t.pid = fl.pid;
  t.inode = id->inode;
  t.cookie = id->cookie;
  t.host_inode = id->host_inode;
  t.hostname = facts.hostname;
  t.timewait_version = build_info().version;
  return with_this_boot(std::move(t));
}

int run_revert(const DoctorFlags& fl) {
  ApplyPaths paths{fl.root};
  // Entered for the dry run too: it compares the backup with this namespace and shows the values
  // it would replace.
  if (auto st = enter_target(fl); !st) return error(st.error());
  HostFacts now = read_host_facts();
  auto target = apply_target(fl, now);
  if (!target) return error(target.error());  // not root: /proc/1/ns/net is unreadable
  auto saved = read_backup(paths, *target);
  if (!saved) return error(saved.error());
  if (!*saved) return error(nothing_to_revert(paths, *target), kExitFailure);
  if (!fl.yes) {
    const SavedApply& b = **saved;
    fmt::print("would restore in /proc/sys of {} the values saved in {}:\n", describe(*target),
               b.path);
    for (auto& [name, value] : b.values) {
      auto harm = value ? harmful_reason(name, *value, std::nullopt) : std::nullopt;
      fmt::print("  {} = {} (now {}){}\n", name,
                 value.value_or("(unknown when applied; left as is)"),
                 now.sysctl(name).value_or("unknown"),
                 harm ? ": not restored, timewait never writes it (" + *harm + ")" : "");
    }
    fmt::print("and {} {}\n(dry run: add --yes to restore them)\n",
               !b.persisted     ? "leave alone (the apply did not write it)"
               : b.conf_existed ? "put back the earlier"
                                : "remove",
               paths.conf());
    return kExitOk;
  }
  auto r = revert_apply(paths, *target, write_proc_sysctl);
  if (!r) return error(r.error(), kExitFailure);
  for (auto& c : r->restored) fmt::print("restored {} = {}\n", c.name, c.new_value);
  if (r->conf_touched)
    fmt::print("{} {}\n", r->conf_removed ? "removed" : "restored", paths.conf());
  if (!r->refused.empty()) return error(refused_restore(**saved, r->refused), kExitFailure);
  return kExitOk;
}

int run_apply(const DoctorFlags& fl, const std::vector<Finding>& findings, const HostFacts& facts) {
  ApplyPaths paths{fl.root};
  auto target = apply_target(fl, facts);
  if (!target) return error(target.error());  // not root: /proc/1/ns/net is unreadable
  // /etc/sysctl.d is applied at boot to the host's namespace (PID 1's): another namespace's
  // values written there would land on the host at the next boot, whether it was entered with
  // --netns/--pid or by `ip netns exec`.
  const bool host = target->host_netns;
  const std::string who = host ? "the host" : describe(*target);
  // Refusals come before anything is shown as planned: a device or FIFO at the file's path, or a
  // backup of this namespace another user could have written or that is not one (read_backup).
  if (host)
    if (auto t = check_output_path(paths.conf(), /*create_dirs=*/true); !t) return error(t.error());
  if (auto b = read_backup(paths, *target); !b) return error(b.error());
  auto plan = plan_apply(findings, facts, paths, /*persist=*/host);
  if (!plan) return error(plan.error());
  const ApplyReport report = make_apply_report(*plan, *target, paths);
  if (fl.json) {
    Status st;
    if (fl.yes) st = execute_apply(*plan, paths, *target, write_proc_sysctl);
    fmt::print("{}\n", apply_to_json(report, fl.yes && !plan->changes.empty(),
                                     st ? std::nullopt : std::optional(st.error()))
                           .dump(2));
    return st ? kExitOk : kExitFailure;
  }
  for (auto& r : plan->refused) fmt::print("refused (harmful or conflicting): {}\n", r);
  if (plan->changes.empty()) {
    fmt::print(
        "nothing to apply: no finding asks for a kernel setting that differs from the "
        "current one\n");
    return kExitOk;
  }
  for (auto& c : plan->changes)
    fmt::print("{}: {} {} -> {}\n", c.finding, c.name, c.old_value.value_or("(unknown)"),
               c.new_value);
  if (host) fmt::print("\n{}", report.diff);
  if (!fl.yes) {
    fmt::print(
        "\n(dry run: add --yes to {}set these in /proc/sys of {}; "
        "`timewait doctor{} --revert --yes` undoes it)\n",
        host ? "write " + paths.conf() + " and " : "", describe(*target), target_options(*target));
    if (!host) fmt::print("{}", wrap_text("note: " + report.boot_note, output_width(), "", "  "));
    for (auto& w : report.not_revertible)
      fmt::print("{}", wrap_text("note: " + w, output_width(), "", "  "));
    return kExitOk;
  }
  auto st = execute_apply(*plan, paths, *target, write_proc_sysctl);
  if (!st) return error(st.error(), kExitFailure);
  fmt::print("\n{}set {} value{} in /proc/sys of {}; old values kept in {}\n",
             host ? "wrote " + paths.conf() + "; " : "", plan->changes.size(),
             plan->changes.size() == 1 ? "" : "s", who, report.backup);
  if (!host) note(report.boot_note);
  for (auto& w : report.not_revertible) note(w);
  return kExitOk;
}

// What the flags ask for, checked before anything is read or entered.
struct DoctorPlan {
  SourceKind source = SourceKind::kAuto;
  std::optional<PortPool> port_range;
};

Result<DoctorPlan> check_flags(const DoctorFlags& fl) {
  if (auto o = linux_only_given(fl.sub); !o.empty()) return fail(o);
  const bool offline = !fl.offline.from.empty();
  const bool windows_files = !fl.windows_reg.empty() || !fl.windows_dynamicport.empty();
  if (offline && (!fl.netns.empty() || fl.pid))
    return fail("--from reads a saved dump; it cannot be combined with --netns or --pid");
  if (!fl.netns.empty() && fl.pid) return fail("give either --netns or --pid, not both");
  if (fl.apply && fl.revert) return fail("give either --apply or --revert, not both");
  if (fl.yes && !fl.apply && !fl.revert)
    return fail("--yes confirms --apply or --revert; give one");
  if ((fl.apply || fl.revert) && (offline || windows_files))
    return fail(
        "--apply and --revert change the live kernel; they cannot be combined with "
        "--from or --windows-*");
  if (!fl.root.empty() && !fl.apply && !fl.revert)
    return fail("--root is for --apply and --revert");
  if (!offline)
    if (auto o = given(fl.sub, {"--format", "--strict"}); !o.empty())
      return fail(
          fmt::format("{} describes the file of --from; give --from FILE or leave {} out", o, o));
  if (fl.revert)
    if (auto o = given(fl.sub, {"--json", "--verbose", "--interval", "--trace", "--port-range"});
        !o.empty())
      return fail(
          fmt::format("{} does nothing with --revert, which restores saved values; leave "
                      "it out",
                      o));
  if (fl.verbose && (fl.json || fl.apply))
    return fail(
        "--verbose adds details to the findings table; it does nothing with --json or "
        "--apply");
  DoctorPlan p;
  auto source = parse_source(fl.source);
  if (!source) return fail(source.error());
  p.source = *source;
  if ((offline || fl.revert) && !given(fl.sub, {"--source"}).empty())
    return fail(
        "--source picks the live kernel's interface; it does nothing with --from or --revert");
  if (!(fl.interval >= 0 && fl.interval <= 600)) return fail("--interval takes 0 to 600 seconds");
  if (fl.interval > 0 && (offline || windows_files))
    return fail("--interval samples the live kernel twice; it cannot be combined with --from");
  if (fl.trace < 0 || fl.trace > 600) return fail("--trace takes 0 to 600 seconds");
  if (fl.trace > 0 && (offline || windows_files))
    return fail("--trace watches the live kernel; it cannot be combined with --from");
  if (windows_files && !offline && (!fl.netns.empty() || fl.pid))
    return fail(
        "--windows-reg/--windows-dynamicport describe a Windows host; combine them with "
        "--from (a `netstat -ano` dump) or give them alone");
  if (!fl.port_range.empty()) {
    auto r = parse_port_range_option(fl.port_range);
    if (!r) return fail(r.error());
    p.port_range = *r;
  }
  return p;
}

// `--trace`: the processes behind the findings, traced in the namespace this thread has entered.
// An exit status when it cannot run.
std::optional<int> trace_first(const DoctorFlags& fl, const std::function<bool()>& stopped,
                               std::optional<TraceSummary>* traced) {
  if (fl.trace <= 0) return std::nullopt;
  if (auto st = check_trace_requirements(); !st) return error(st.error());
  if (auto st = prepare_tracefs(); !st) return error(st.error());
  auto ino = netns_inode_of_self();
  if (!ino) return error(ino.error(), kExitFailure);
  TraceFilter filter;
  filter.netns_inode = static_cast<uint32_t>(*ino);
  auto s = sample_summary(
      filter, fl.trace,
      [&] {
        note(fmt::format("tracing TCP for {} s to name the processes behind the findings",
                         fl.trace));
      },
      stopped);
  if (!s) return error(s.error(), kExitFailure);
  traced->emplace(std::move(*s));
  if (stopped())
    note(fmt::format("stopped by a signal: the trace covers {:.1f} s", (*traced)->seconds));
  return std::nullopt;
}

// `--interval`: the counters now, to compare with the ones read after the wait.
std::optional<HostFacts> wait_interval(const DoctorFlags& fl,
                                       const std::function<bool()>& stopped) {
  if (fl.interval <= 0 || stopped()) return std::nullopt;
  std::optional<HostFacts> earlier = read_host_facts();
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(fl.interval));
  while (std::chrono::steady_clock::now() < end && !stopped())
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        end - std::chrono::steady_clock::now(), std::chrono::milliseconds(100)));
  // Rates over a cut interval would be noise: without the earlier reading the rules say what
  // they say for a single one.
  if (stopped()) {
    note("stopped by a signal: --interval was cut short; no rates measured");
    return std::nullopt;
  }
  return earlier;
}

int run(const DoctorFlags& fl) {
  auto plan = check_flags(fl);
  if (!plan) return error(plan.error());
  if (fl.revert) return run_revert(fl);
  const bool offline = !fl.offline.from.empty();
  const bool windows_files = !fl.windows_reg.empty() || !fl.windows_dynamicport.empty();
  const bool live = !offline && !windows_files;
#ifdef _WIN32
  auto event_window = parse_event_window(fl.events);
  if (!event_window) return error(event_window.error());
  if (!live && fl.sub->count("--events"))
    return error("--events reads this host's event log; it cannot be combined with --from");
#endif
#ifndef _WIN32
  // SIGTERM, SIGINT or SIGHUP during --trace or --interval ends the wait, not the doctor: the
  // findings come from what was measured, with the usual exit status.
  std::optional<lab::StopOnSignals> stop_signals;
  if (live && (fl.trace > 0 || fl.interval > 0)) stop_signals.emplace();
  const std::function<bool()> stopped = [] { return lab::stop_requested(); };
#else
  const std::function<bool()> stopped = [] { return false; };
#endif

  // --windows-reg/--windows-dynamicport alone describe a host with no sockets to read.
  std::unique_ptr<Input> input;
  if (!windows_files || offline) {
    auto in = open_input(InputSpec{fl.offline.from, fl.offline.format, fl.offline.strict,
                                   StateMask::all(), fl.target, plan->source});
    if (!in) return error(in.error());
    input = std::move(*in);
  }
  std::optional<TraceSummary> traced;
  std::optional<HostFacts> earlier;
  if (live) {
    if (auto code = trace_first(fl, stopped, &traced)) return *code;
    earlier = wait_interval(fl, stopped);
  }
  HostFacts registry_only{.os = "windows", .source = "registry"};
  HostFacts* facts = &registry_only;
  if (input) {
    auto f = input->facts();
    if (!f) return error(f.error());
    facts = *f;
  }
  if (auto st = merge_windows_files(fl, facts); !st) return error(st.error());

  std::string note_text;
  std::unique_ptr<DoctorCollector> collector;
  std::optional<NodePorts> node_ports;  // kube-proxy's rules in the audited namespace
  if (input) {
    PoolChoice pool = choose_pool(*facts, plan->port_range);
    if (!pool.error.empty()) return error(pool.error, live ? kExitFailure : kExitUsage);
    if (pool.pool && pool.assumed)
      note_text = fmt::format(
          "no port-range setting in the input; port pressure assumes the {} "
          "default {}-{} (set --port-range LOW-HIGH)",
          facts->os == "windows" ? "Windows" : "Linux", pool.pool->low, pool.pool->high);
    collector = std::make_unique<DoctorCollector>(pool.pool, pool.assumed);
    auto r = input->stream(StateMask::all(), *collector);
    if (!r) return error(r.error(), live ? kExitFailure : kExitUsage);
    if (!r->note.empty()) note_text = note_text.empty() ? r->note : r->note + "; " + note_text;
    if (live) node_ports = read_node_ports();
  }
#ifdef _WIN32
  if (live)
    if (auto missing = add_event_counts(count_system_events, *event_window, facts);
        !missing.empty())
      note_text = note_text.empty() ? missing : note_text + "; " + missing;
#endif

  DoctorInput in;
  if (collector) {
    in = collector->input(*facts, live);
  } else {
    in.facts = *facts;
  }
  in.earlier = earlier;
  in.interval_seconds = earlier ? fl.interval : 0;
  if (traced) in.trace = &*traced;
  in.node_ports = node_ports;
  in.windows_registry = !fl.windows_reg.empty();
  in.windows_dynamicport = !fl.windows_dynamicport.empty();
  std::vector<Finding> findings = run_rules(in);
  if (fl.apply) return run_apply(fl, findings, *facts);

  DoctorReport report{facts, &findings, note_text, fl.verbose, output_width()};
  if (fl.json)
    fmt::print("{}\n", doctor_to_json(report).dump(2, ' ', false,
                                                   nlohmann::json::error_handler_t::replace));
  else
    fmt::print("{}", render_doctor_table(report));
  return exit_code_for(worst(findings));
}

// --pod becomes the pid of one of the pod's processes, which every path above enters.
int run_with_pod(DoctorFlags fl) {
  auto pod = resolve_pod_flag(fl.sub, fl.pod);
  if (!pod) return error(pod.error());
  fl.target = *pod ? pod_input_target(**pod) : InputTarget{fl.netns, fl.pid};
  fl.pid = fl.target.pid;
  return run(fl);
}

Register doctor_command(20, [](CLI::App& app) {
  auto fl = std::make_shared<DoctorFlags>();
  CLI::App* sub = app.add_subcommand(
      "doctor",
      "Audit TIME_WAIT handling: settings, port pressure, socket build-ups; each finding with "
      "evidence, why (sources), exact fixes and what not to do. Exit status: 0 ok/info, "
      "3 warning, 4 critical (1 failed to run, 2 usage error).");
  sub->add_option("--netns", fl->netns, "Audit the named network namespace (ip netns list)");
  fl->sub = sub;
  sub->add_option("--pid", fl->pid, "Audit the network namespace of this process")
      ->check(whole_number(1, INT32_MAX));
  add_pod_flags(sub, &fl->pod, "Audit");
  add_offline_flags(sub, &fl->offline);
  sub->add_flag("--json", fl->json,
                "JSON output, schema timewait-doctor/1 (documented in \"timewait doctor\", section "
                "\"JSON\", of the timewait docs)");
  sub->add_flag("-v,--verbose", fl->verbose, "Show the details of ok findings too");
  sub->add_option("--interval", fl->interval,
                  "Sample kernel counters twice, SECONDS apart, to see what grows now "
                  "(TCPTimeWaitOverflow, ListenOverflows, resets)")
      ->check(seconds(0, 600));
  sub->add_option("--trace", fl->trace,
                  "First trace SECONDS with eBPF (timewait trace --summary) and name the process "
                  "behind the worst tuple's TIME_WAITs and every EADDRNOTAVAIL (needs root)")
      ->check(seconds(0, 600));
  sub->add_option("--windows-reg", fl->windows_reg,
                  "A `reg export` of HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters "
                  "(UTF-16LE or UTF-8)");
  sub->add_option("--windows-dynamicport", fl->windows_dynamicport,
                  "Output of `netsh int ipv4 show dynamicport tcp`");
  sub->add_option("--source", fl->source, kSourceHelp)->capture_default_str();
  sub->add_option("--port-range", fl->port_range,
                  "Ephemeral range LOW-HIGH for port pressure of a dump without one");
  sub->add_flag("--apply", fl->apply,
                "Write the safe kernel settings among the fixes to /proc/sys and, for the host's "
                "namespace (PID 1's), /etc/sysctl.d/60-timewait.conf; the values replaced are kept "
                "in the namespace's backup under /var/lib/timewait/backups (shows the diff; "
                "changes nothing without --yes)");
  sub->add_flag("--revert", fl->revert,
                "Restore the values --apply replaced in this namespace (with --yes)");
  sub->add_flag("-y,--yes", fl->yes, "Really write with --apply / --revert");
  sub->add_option("--root", fl->root,
                  "Prefix for the files --apply and --revert write (tests); /proc/sys is the "
                  "target namespace's own");
  mark_linux_only(sub, {"--netns", "--pid", "--trace", "--apply", "--revert", "--yes", "--root"});
#ifdef _WIN32
  sub->add_option("--events", fl->events,
                  "Count the System log's events 4227 (TIME_WAIT collision) and 4231 (ephemeral "
                  "ports exhausted) over this past window: N with s, m, h or d")
      ->capture_default_str();
#endif
  return std::pair{sub, std::function<int()>([fl] { return run_with_pod(*fl); })};
});

}  // namespace

}  // namespace tw::cli
