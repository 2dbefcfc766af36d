// SPDX-License-Identifier: Apache-2.0
// `timewait watch`: a live view of states, rates and the worst destinations, like top; a log or
// JSON lines when standard output is not a terminal.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "cli/option_checks.h"
#include "cli/pod_option.h"
#include "exporter/exporter.h"
#include "sampler/sampler.h"
#include "sources/netns.h"
#include "sources/netns_list.h"
#include "watch/terminal_caps.h"
#include "watch/watch_loop.h"

namespace tw::cli {

namespace {

struct WatchFlags {
  CLI::App* sub = nullptr;
  double interval = 1;
  std::string netns;
  int pid = 0;
  std::vector<std::string> states;
  std::string by = "tuple";
  std::string sort = "pressure";
  bool json = false;
  int64_t count = 0;
  double duration = 0;
  int64_t top = 10;
  bool all_netns = false;
  PodFlags pod;
};

int run(WatchFlags fl) {
  // --pod: one of the pod's processes, entered as --pid is.
  auto pod = resolve_pod_flag(fl.sub, fl.pod);
  if (!pod) return error(pod.error());
  InputTarget target = *pod ? pod_input_target(**pod) : InputTarget{fl.netns, fl.pid};
  fl.pid = target.pid;
  auto states = parse_state_mask(fl.states);
  if (!states) return error(states.error());
  auto by = parse_group_by(fl.by);
  if (!by) return error(by.error());
  auto sort = watch::parse_sort_key(fl.sort);
  if (!sort) return error(sort.error());
  if (!fl.netns.empty() && fl.pid) return error("give either --netns or --pid, not both");
  if (fl.all_netns && (!fl.netns.empty() || fl.pid))
    return error("--all-netns watches every namespace of the node; leave --netns and --pid out");
  if (fl.all_netns && *pod)
    return error("--all-netns watches every namespace of the node; leave --pod out");
  std::vector<SampleTarget> targets{target};
  if (fl.all_netns) {
    auto found = list_network_namespaces();
    if (!found) return error(found.error(), kExitFailure);
    targets.clear();
    for (const NetnsRef& ref : *found) targets.push_back(target_of(ref));
  }
  // A namespace that is not there is bad input, said before the screen is taken over.
  if (!fl.netns.empty())
    if (auto ino = netns_inode_by_name(fl.netns); !ino) return error(ino.error());
  if (fl.pid && access(fmt::format("/proc/{}/ns/net", fl.pid).c_str(), F_OK) != 0)
    return error(
        fmt::format("--pid {}: no such process (or its namespace cannot be seen); give "
                    "the pid of a running process",
                    fl.pid));
  // Entering it needs CAP_SYS_ADMIN: tried once on a throwaway thread (setns moves only the
  // calling thread), so a user who may not is told as census tells it, not by a screen of errors.
  if (!fl.netns.empty() || fl.pid) {
    Status entered;
    std::thread([&] {
      entered = !fl.netns.empty() ? enter_netns_by_name(fl.netns) : enter_netns_of_pid(fl.pid);
    }).join();
    if (!entered) return error(entered.error());
  }
  const bool screen = !fl.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) &&
                      !watch::terminal_lacks_cursor_addressing(STDOUT_FILENO);
  if (screen && fl.sub->count("--top"))
    return error("--top sets the rows of the log; the screen shows as many as fit: leave it out");

  SamplerOptions so;
  so.states = *states;
  // Destinations come from port pressure, measured on every socket anyway: a tuple grouping of
  // the view would be a second census for nothing.
  so.by = *by == GroupBy::kTuple ? GroupBy::kState : *by;
  so.min_interval = std::chrono::milliseconds(0);  // every refresh is a new census
  so.doctor = true;
  so.history = 300;  // the sparkline's last 5 minutes at 1 s
  so.summary_counters = watch::watched_counter;
  so.node = fl.all_netns;
  tw::Sampler sampler(std::move(targets), so);

  watch::WatchOptions o;
  o.interval = std::chrono::milliseconds(static_cast<int64_t>(fl.interval * 1000));
  o.count = fl.count;
  o.duration_s = fl.duration;
  o.states = *states;
  o.sort = *sort;
  o.top = static_cast<size_t>(fl.top);
  // https://no-color.org: any non-empty NO_COLOR turns colours off.
  const char* no_color = std::getenv("NO_COLOR");
  o.colour = !(no_color && *no_color);

  Status st = screen ? watch::run_screen(sampler, o)
                     : watch::run_lines(
                           sampler, o, fl.json ? watch::LineFormat::kJson : watch::LineFormat::kLog,
                           stdout);
  if (!st) return error(st.error(), kExitFailure);
  return kExitOk;
}

Register watch_command(15, [](CLI::App& app) {
  auto fl = std::make_shared<WatchFlags>();
  CLI::App* sub = app.add_subcommand(
      "watch",
      "Live view, like top: state counts and their change, the TIME_WAIT rate with its history, "
      "TIME_WAIT counters that moved, the destinations nearest port exhaustion and the doctor's "
      "worst finding. Keys: q quit, p pause, s sort, / filter, d findings, ? help. Not on a "
      "terminal: one block per refresh (a log), or --json lines.");
  fl->sub = sub;
  sub->add_option("-i,--interval", fl->interval, "Seconds between refreshes")
      ->check(seconds(0.05, 3600))
      ->capture_default_str();
  sub->add_option("--netns", fl->netns, "Watch the named network namespace (ip netns list)");
  sub->add_option("--pid", fl->pid, "Watch the network namespace of this process")
      ->check(whole_number(1, INT32_MAX));
  sub->add_flag("--all-netns", fl->all_netns,
                "Watch every network namespace found at start, read together (one BPF walk of "
                "the shared table where it can run): counts summed over the node, the worst "
                "pools across it, each row led by its namespace");
  add_pod_flags(sub, &fl->pod, "Watch");
  sub->add_option("-s,--state", fl->states,
                  std::string("Only these states in the counts and groups (ss names or groups, "
                              "comma-separated; port pressure always counts all): ") +
                      std::string(state_names_help()))
      ->delimiter(',');
  sub->add_option("--by", fl->by,
                  "Middle table: tuple (default: destinations by port pressure), or census "
                  "groups by peer, peer-port, local, local-port")
      ->capture_default_str();
  sub->add_option("--sort", fl->sort,
                  "Destinations by pressure (worst level, then soonest ETA), rate, time-wait")
      ->capture_default_str();
  sub->add_flag("--json", fl->json,
                "One JSON object per refresh on one line (JSON lines), schema timewait-watch/1");
  sub->add_option("-n,--count", fl->count, "Stop after this many refreshes (0 = no limit)")
      ->check(whole_number(0, 1'000'000'000))
      ->capture_default_str();
  sub->add_option("--duration", fl->duration, "Stop after this many seconds (0 = no limit)")
      ->check(seconds(0, 1e9))
      ->capture_default_str();
  sub->add_option("--top", fl->top,
                  "Destinations (or groups) per refresh in the log and --json; the screen shows "
                  "as many as fit")
      ->check(whole_number(1, 1'000'000))
      ->capture_default_str();
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
