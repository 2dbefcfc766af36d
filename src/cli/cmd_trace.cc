// SPDX-License-Identifier: Apache-2.0
// `timewait trace`: which process makes the TIME_WAITs (closes first), which fails to connect and
// toward where, and which binds before connect(), seen live with eBPF (src/trace/, src/bpf/).
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/pod_option.h"
#include "lab/stop.h"
#include "sources/live_input.h"
#include "trace/pod_attribution.h"
#include "trace/render.h"
#include "trace/requirements.h"
#include "trace/tracer.h"

namespace tw::cli {

namespace {

struct TraceFlags {
  CLI::App* sub = nullptr;
  bool summary = false;
  bool json = false;
  double duration = 0;
  std::string netns;
  int pid = 0;
  std::string comm;
  int dport = 0;
  std::vector<std::string> states;
  PodFlags pod;
};

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The filter from the flags, and a phrase naming what is traced.
Result<std::pair<TraceFilter, std::string>> filter_of(const TraceFlags& fl) {
  TraceFilter f;
  std::string scope;
  auto pod = resolve_pod_flag(fl.sub, fl.pod, false);
  if (!pod) return fail(pod.error());
  if (*pod) {
    const PodTarget& p = **pod;
    // In the kernel: the pod's own namespace; a hostNetwork pod's cgroups and processes.
    f.netns_inode = static_cast<uint32_t>(p.netns_inode);
    if (p.host_network) {
      PodFilterSet set = pod_filter_set(p, fl.pod.paths);
      f.pod_only = true;
      f.pod_cgroups = set.cgroup_ids;
      f.pod_pids = set.pids;
      scope = fmt::format(
          "hostNetwork pod {} (its {} cgroup{} and {} process{}, in the host's namespace, "
          "inode {})",
          p.ref(), set.cgroup_ids.size(), set.cgroup_ids.size() == 1 ? "" : "s", set.pids.size(),
          set.pids.size() == 1 ? "" : "es", p.netns_inode);
    } else {
      scope = fmt::format("pod {}'s network namespace (inode {})", p.ref(), p.netns_inode);
    }
  } else if (fl.netns == "all") {
    scope = "every network namespace";
  } else {
    // --pid filters processes here; the namespace is --netns's or this process's.
    auto ino = target_netns_inode(InputTarget{fl.netns});
    if (!ino) return fail(ino.error());
    f.netns_inode = static_cast<uint32_t>(*ino);
    scope = fl.netns.empty() ? fmt::format("this network namespace (inode {})", *ino)
                             : fmt::format("network namespace {} (inode {})", fl.netns, *ino);
  }
  if (fl.pid < 0) return fail(fmt::format("--pid {} is not a process id", fl.pid));
  f.pid = fl.pid;
  // The kernel keeps 15 characters of a command name (TASK_COMM_LEN 16 with the NUL).
  if (fl.comm.size() >= TW_COMM_LEN)
    return fail(
        fmt::format("--comm '{}' is longer than the 15 characters the kernel keeps; give "
                    "the name as `ps -o comm` shows it",
                    fl.comm));
  f.comm = fl.comm;
  if (fl.dport < 0 || fl.dport > 65535)
    return fail(fmt::format("--dport {} is not a port (1-65535)", fl.dport));
  f.dport = static_cast<uint16_t>(fl.dport);
  if (!fl.states.empty()) {
    if (fl.summary)
      return fail(
          "--state selects streamed transitions; --summary counts connects and closes "
          "of every state: drop one of them");
    auto m = parse_state_mask(fl.states);
    if (!m) return fail(m.error());
    f.states = *m;
  }
  if (fl.pid) scope += fmt::format(", pid {}", fl.pid);
  if (!fl.comm.empty()) scope += fmt::format(", command {}", fl.comm);
  if (fl.dport) scope += fmt::format(", port {}", fl.dport);
  return std::pair{f, scope};
}

int run(const TraceFlags& fl) {
  auto filter = filter_of(fl);
  if (!filter) return error(filter.error());
  if (auto st = check_trace_requirements(); !st) return error(st.error());
  if (auto st = prepare_tracefs(); !st) return error(st.error());
  auto tracer = Tracer::open(TracerOptions{filter->first, fl.summary});
  if (!tracer) return error(tracer.error(), kExitFailure);
  // Pods and containers are named only on a node that runs pods: elsewhere nothing is looked up
  // and the output is as it always was.
  PodAttributor pods(fl.pod.paths);
  const bool attribute = !fl.pod.pod.empty() || pods.node_runs_pods();

  lab::StopOnSignals stop;
  const uint64_t t0 = monotonic_ns();
  const std::string& scope = filter->second;
  note(fmt::format("tracing TCP in {}{}; Ctrl-C stops", scope,
                   fl.duration > 0 ? fmt::format(" for {} s", fl.duration) : ""));
  auto elapsed = [&] { return (monotonic_ns() - t0) / 1e9; };
  auto done = [&] {
    return lab::stop_requested() || (fl.duration > 0 && elapsed() >= fl.duration);
  };

  uint64_t events = 0;
  if (!fl.json && !fl.summary) fmt::print("{}", render_event_header(attribute));
  TraceEvent named;
  auto sink = [&](const TraceEvent& in) {
    ++events;
    const TraceEvent* e = &in;
    if (attribute) {
      named = in;
      pods.attribute(&named);
      e = &named;
    }
    if (fl.json)
      std::fputs(render_event_json(*e, t0).c_str(), stdout);
    else
      std::fputs(render_event_line(*e, t0, attribute).c_str(), stdout);
  };

  while (!done()) {
    int wait_ms = 100;
    if (fl.duration > 0)
      wait_ms = std::clamp(static_cast<int>((fl.duration - elapsed()) * 1000), 1, 100);
    if (fl.summary) {
      usleep(wait_ms * 1000);  // the kernel counts; a signal ends the sleep early
      continue;
    }
    if (auto st = (*tracer)->poll(wait_ms, sink); !st) return error(st.error(), kExitFailure);
    std::fflush(stdout);
  }
  double seconds = elapsed();

  if (fl.summary) {
    auto s = (*tracer)->summary(seconds);
    if (!s) return error(s.error(), kExitFailure);
    if (attribute) pods.attribute(&*s);
    if (fl.json)
      fmt::print("{}\n", summary_to_json(*s, scope).dump(2, ' ', false,
                                                         nlohmann::json::error_handler_t::replace));
    else
      fmt::print("{}", render_summary_table(*s, scope));
    return kExitOk;
  }
  if (auto st = (*tracer)->poll(0, sink); !st) return error(st.error(), kExitFailure);
  auto lost = (*tracer)->lost();
  if (!lost) return error(lost.error(), kExitFailure);
  StreamTotals totals{seconds, events, *lost};
  if (fl.json)
    fmt::print("{}\n", stream_end_to_json(totals).dump());
  else
    fmt::print("{}", render_stream_end(totals));
  if (lost->total()) note(fmt::format("{} events were lost: the reader fell behind", lost->events));
  return kExitOk;
}

Register trace_command(22, [](CLI::App& app) {
  auto fl = std::make_shared<TraceFlags>();
  CLI::App* sub = app.add_subcommand(
      "trace",
      "Live, with eBPF: which process makes the TIME_WAITs (closes first), which fails to "
      "connect and toward where (EADDRNOTAVAIL), which binds before connect(). Needs root "
      "(CAP_BPF, CAP_PERFMON) and kernel BTF. On a Kubernetes node, names the pod and "
      "container of each process (from its cgroup).");
  fl->sub = sub;
  sub->add_flag("--summary", fl->summary,
                "Count in the kernel and print, per process and tuple: connects/s, active and "
                "passive closes/s, failed connects by errno, who closes first");
  sub->add_flag("--json", fl->json, "JSON lines (streaming) or one JSON object (--summary)");
  sub->add_option("--duration", fl->duration, "Seconds to trace (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--netns", fl->netns,
                  "Trace the named network namespace (ip netns list), or 'all'; default: this "
                  "process's. Run in the host's mount namespace, not under `ip netns exec`");
  sub->add_option("--pid", fl->pid, "Only this process (its pid; threads count as the process)");
  add_pod_flags(sub, &fl->pod, "Trace");
  sub->add_option("--comm", fl->comm, "Only processes with this command name (as ps -o comm)");
  sub->add_option("--dport", fl->dport,
                  "Only connections to this port (the remote port of connects, the local port of "
                  "accepted connections)");
  sub->add_option("-s,--state", fl->states,
                  std::string("Stream only transitions into these states: ") +
                      std::string(state_names_help()))
      ->delimiter(',');
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
