// SPDX-License-Identifier: Apache-2.0
// `timewait census`: counts TCP sockets by state and group, port pressure, TIME_WAIT rate.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "census/census.h"
#include "census/port_pool.h"
#include "census/report.h"
#include "cli/census_node.h"
#include "cli/command.h"
#include "cli/offline_input.h"
#include "cli/option_checks.h"
#include "cli/pod_option.h"
#include "cli/terminal.h"
#include "import/import_json.h"
#include "import/input_file.h"
#include "model/safe_text.h"
#include "sources/snapshot_file.h"
#include "sources/socket_owners.h"

namespace tw::cli {

namespace {

struct CensusFlags {
  CLI::App* sub = nullptr;
  std::string netns;
  int pid = 0;
  std::vector<std::string> states;
  std::string by = "state";
  int64_t top = 20;
  bool json = false;
  std::string save;
  OfflineFlags offline;
  std::string source = "auto";
  std::string port_range;
  bool processes = false;
  bool all_netns = false;
  PodFlags pod;
};

// What the flags ask for, checked before anything is read.
struct CensusPlan {
  StateMask states;
  GroupBy by = GroupBy::kState;
  SourceKind source = SourceKind::kAuto;
  std::optional<PortPool> port_range;
  bool snapshot_to_stdout = false;  // --save - (or /dev/stdout): standard output is the snapshot
};

Result<CensusPlan> check_flags(const CensusFlags& fl) {
  if (auto o = linux_only_given(fl.sub); !o.empty()) return fail(o);
  CensusPlan p;
  auto states = parse_state_mask(fl.states);
  if (!states) return fail(states.error());
  p.states = *states;
  auto by = parse_group_by(fl.by);
  if (!by) return fail(by.error());
  p.by = *by;
  auto kind = parse_source(fl.source);
  if (!kind) return fail(kind.error());
  p.source = *kind;
  if (!fl.offline.from.empty() && (!fl.netns.empty() || fl.pid))
    return fail("--from reads a saved dump; it cannot be combined with --netns or --pid");
  if (!fl.netns.empty() && fl.pid) return fail("give either --netns or --pid, not both");
  if (fl.all_netns)
    if (auto o = given(fl.sub, {"--netns", "--pid", "--pod", "--from", "--save", "-p"}); !o.empty())
      return fail(fmt::format("--all-netns counts every namespace of the node; leave {} out", o));
  if (fl.offline.from.empty()) {
    if (auto o = given(fl.sub, {"--format", "--strict"}); !o.empty())
      return fail(
          fmt::format("{} describes the file of --from; give --from FILE or leave {} out", o, o));
  } else if (auto o = given(fl.sub, {"--source"}); !o.empty()) {
    return fail("--source picks the live kernel's interface; it cannot be combined with --from");
  }
  if (fl.processes && !fl.offline.from.empty())
    return fail(
        "-p looks up the owners of live sockets; a dump shows the owners it recorded (ss -p, "
        "netstat -p/-o, a snapshot): leave -p out with --from");
  if (!fl.port_range.empty()) {
    auto r = parse_port_range_option(fl.port_range);
    if (!r) return fail(r.error());
    p.port_range = *r;
  }
  // With --save - (or /dev/stdout, the same stream), standard output carries the snapshot and
  // nothing else.
  p.snapshot_to_stdout = fl.save == "-" || (!fl.save.empty() && [&] {
                           auto t = check_output_path(fl.save);
                           return t && t->standard_output;
                         }());
  if (p.snapshot_to_stdout && fl.json)
    return fail("--save - writes the snapshot to standard output; --json would mix into it");
  return p;
}

// What one census counts from an input: the census, the owners the input names (a snapshot,
// ss -p) and the snapshot --save writes. Made from the input's facts before its first socket;
// an interrupted live read starts it over.
class CensusPass final : public SocketReceiver {
 public:
  CensusPass(CensusOptions options, const HostFacts* facts, std::string save, bool count_owners)
      : options_(options), facts_(facts), save_(std::move(save)), count_owners_(count_owners) {}

  Status start() {
    census_ = std::make_unique<Census>(options_);
    named_.clear();
    if (!save_.empty()) {
      writer_.reset();
      auto w = SnapshotWriter::open(save_, *facts_);
      if (!w) return fail(w.error());
      writer_ = std::move(*w);
      writer_source_set_ = false;
    }
    return {};
  }
  // Live sockets carry an inode but no owner: -p and a snapshot look up (pid, command) once from
  // /proc/PID/fd (as ss -p does), since the owners cannot be found later on another machine.
  void look_up_owners() { owners_ = pids_of_all_sockets(); }
  bool writes_snapshot() const { return writer_ != nullptr; }

  void add(const Socket& in) override {
    auto owner = in.pid < 0 && in.inode ? owners_.find(in.inode) : owners_.end();
    Socket with_owner;
    if (owner != owners_.end()) {
      with_owner = in;
      with_owner.pid = owner->second;
      auto [c, fresh] = commands_.try_emplace(owner->second);
      if (fresh) c->second = process_name(owner->second);
      with_owner.command = c->second;
    }
    const Socket& s = owner != owners_.end() ? with_owner : in;
    census_->add(s);
    const StateMask& asked = options_.states;
    if (count_owners_ && s.pid > 0 && asked.has(s.state) &&
        (named_.size() < 100000 || named_.count(s.pid))) {
      ProcessCount& p = named_[s.pid];
      p.pid = s.pid;
      if (p.command.empty()) p.command = s.command;
      ++p.sockets;
    }
    // Listeners come along for port pressure even when not asked for; the snapshot keeps only
    // what was asked.
    if (writer_ && asked.has(s.state)) {
      set_writer_source();
      writer_->add(s);
    }
  }
  void restart() override { (void)start(); }

  Status finish() {
    if (!writer_) return {};
    set_writer_source();
    return writer_->finish();
  }
  const Census& census() const { return *census_; }
  // Most sockets first.
  std::vector<ProcessCount> owners() const {
    std::vector<ProcessCount> out;
    for (auto& [pid, p] : named_) out.push_back(p);
    std::stable_sort(out.begin(), out.end(),
                     [](auto& a, auto& b) { return a.sockets > b.sockets; });
    return out;
  }

 private:
  // The snapshot's header says where its sockets came from: the live source is known once the
  // read (or, after a restart, the new attempt) has begun.
  void set_writer_source() {
    if (writer_source_set_) return;
    writer_->facts().source = facts_->source;
    writer_source_set_ = true;
  }

  CensusOptions options_;
  const HostFacts* facts_;
  std::string save_;
  bool count_owners_;
  std::unique_ptr<Census> census_;
  std::unique_ptr<SnapshotWriter> writer_;
  bool writer_source_set_ = false;
  std::map<int, ProcessCount> named_;  // owners the input names, bounded
  std::map<uint64_t, int> owners_;     // inode -> pid, live
  std::map<int, std::string> commands_;
};

int print_census(const CensusFlags& fl, const CensusReport& report, const StreamReport& read) {
  if (fl.json) {
    nlohmann::json j = census_to_json(report);
    if (read.import) j["import"] = import_report_to_json(*read.import);
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}", render_census_table(report));
    if (!fl.save.empty()) fmt::print("\nsnapshot written to {}\n", printable_line(fl.save));
  }
  return kExitOk;
}

int run(const CensusFlags& fl) {
  auto plan = check_flags(fl);
  if (!plan) return error(plan.error());
  // -p and --all-netns name pods through the same --path.procfs/--path.rootfs.
  auto pod = resolve_pod_flag(fl.sub, fl.pod, !fl.processes && !fl.all_netns);
  if (!pod) return error(pod.error());
  // There a wrong mount would only show as a node of one namespace, or with no pods.
  if (!*pod && (fl.sub->count("--path.procfs") || fl.sub->count("--path.rootfs")))
    if (auto bad = check_host_paths(fl.pod.paths); !bad.empty()) return error(bad);
  if (fl.all_netns)
    return run_node_census({plan->states, plan->by, plan->source, plan->port_range,
                            static_cast<size_t>(fl.top), fl.json, fl.pod.paths});
  const bool live = fl.offline.from.empty();
  InputTarget target = *pod ? pod_input_target(**pod) : InputTarget{fl.netns, fl.pid};
  auto input = open_input(InputSpec{fl.offline.from, fl.offline.format, fl.offline.strict,
                                    plan->states, target, plan->source});
  if (!input) return error(input.error());
  auto facts = (*input)->facts();
  if (!facts) return error(facts.error());
  PoolChoice pool = choose_pool(**facts, plan->port_range);
  if (!pool.error.empty()) return error(pool.error, live ? kExitFailure : kExitUsage);
  std::string note;
  if (pool.pool && pool.assumed)
    note = fmt::format(
        "the dump has no port-range setting; port pressure assumes the {} default "
        "{}-{} (set --port-range LOW-HIGH)",
        (*facts)->os == "windows" ? "Windows" : "Linux", pool.pool->low, pool.pool->high);

  CensusPass pass(CensusOptions{plan->states, plan->by, pool.pool}, *facts, fl.save,
                  fl.processes || !live);
  if (auto st = pass.start(); !st) return error(st.error());
  if (live && (pass.writes_snapshot() || fl.processes)) pass.look_up_owners();
  // Listeners come along for port pressure; a dump's are read whatever the states asked.
  auto read = (*input)->stream(
      live ? pass.census().source_states() : plan->states | StateMask::of(TcpState::kListen), pass);
  // EPERM on the netlink socket is the usual "not root in a container" case.
  if (!read) return error(read.error(), live ? kExitFailure : kExitUsage);
  // A live read shows its own note alone (a live Linux host always has its range); a dump's
  // comes before the pool's.
  note = live || note.empty() ? read->note : read->note.empty() ? note : read->note + "; " + note;
  if (auto st = pass.finish(); !st) return error(st.error(), kExitFailure);

  if (plan->snapshot_to_stdout) return kExitOk;
  CensusReport report{*facts, &pass.census(), note, static_cast<size_t>(fl.top), output_width()};
  report.owners = pass.owners();
  report.owners_live = live;
  if (live && fl.processes) {
    // On a Kubernetes node each process is named with its pod and container: a hostNetwork
    // pod's sockets, in the host's namespace, are told apart only so.
    std::vector<int> pids;
    for (const auto& o : report.owners) pids.push_back(o.pid);
    const auto pods = pods_of_processes(pids, fl.pod.paths);
    for (auto& o : report.owners)
      if (auto it = pods.find(o.pid); it != pods.end()) {
        o.pod = it->second.pod;
        o.container = it->second.container;
      }
  }
  return print_census(fl, report, *read);
}

Register census_command(10, [](CLI::App& app) {
  auto fl = std::make_shared<CensusFlags>();
  CLI::App* sub = app.add_subcommand(
      "census",
      "Count TCP sockets by state (like `ss -tan` / `netstat -n | awk`), with groups, "
      "ephemeral-port pressure per destination and the TIME_WAIT creation rate.");
  sub->add_option("--netns", fl->netns, "Count in the named network namespace (ip netns list)");
  fl->sub = sub;
  sub->add_option("--pid", fl->pid, "Count in the network namespace of this process")
      ->check(whole_number(1, INT32_MAX));
  sub->add_option("-s,--state", fl->states,
                  std::string("Only these states (ss names or groups, comma-separated): ") +
                      std::string(state_names_help()))
      ->delimiter(',');
  sub->add_option("--by", fl->by,
                  "Group by: state (default), peer, peer-port, local, local-port, tuple "
                  "(local address, remote address, remote port: the unit of port pressure)")
      ->capture_default_str();
  sub->add_option("--top", fl->top, "Rows in group and pressure tables (0 = all)")
      ->check(whole_number(0, 1'000'000'000))
      ->capture_default_str();
  sub->add_flag("--json", fl->json,
                "JSON output, schema timewait-census/1 (documented in \"JSON schemas\" of the "
                "timewait docs)");
  sub->add_option("--save", fl->save,
                  "Also write a snapshot (sockets with their owners, sysctls, sockstat) to FILE "
                  "for `census --from` / `doctor --from` elsewhere. FILE is replaced atomically "
                  "(through a symlink, its target, unless another user's link in a shared "
                  "sticky directory such as /tmp), made 0600; a device, FIFO or directory is "
                  "refused; - (or /dev/stdout) writes the snapshot alone to standard output");
  sub->add_option("--source", fl->source, kSourceHelp)->capture_default_str();
  sub->add_option("--port-range", fl->port_range,
                  "Ephemeral range LOW-HIGH for port pressure of a dump without one");
  sub->add_flag("-p,--processes", fl->processes,
                "Name the processes holding the live sockets (pid and command, from /proc/PID/fd "
                "as `ss -p`): a \"Processes holding sockets\" table and `owners` in JSON. "
                "TIME_WAIT sockets have no owner; `timewait trace` names who makes them");
  sub->add_flag("--all-netns", fl->all_netns,
                "Count every network namespace of the node (named, and those only processes "
                "hold): one block per namespace, the --top under most pressure (the worst pool's "
                "share of its ports held) first; in JSON keyed by namespace. The namespaces that "
                "share the host's TCP table are read by one BPF walk where it can run, else one "
                "at a time, as the first line (JSON: source, one_walk) says");
  add_pod_flags(sub, &fl->pod, "Count");
  add_offline_flags(sub, &fl->offline);
  mark_linux_only(sub, {"--netns", "--pid", "--source", "--all-netns"});
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
