// SPDX-License-Identifier: Apache-2.0
// `timewait census`: counts TCP sockets by state and group, port pressure, TIME_WAIT rate.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "census/census.h"
#include "census/port_pool.h"
#include "census/report.h"
#include "cli/command.h"
#include "cli/offline_input.h"
#include "cli/option_checks.h"
#include "cli/terminal.h"
#include "doctor/socket_owners.h"
#include "model/safe_text.h"
#include "sources/host_reader.h"
#include "sources/live_sockets.h"
#include "sources/netns.h"
#include "sources/snapshot_file.h"

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
};

int run(const CensusFlags& fl) {
  if (auto o = linux_only_given(fl.sub); !o.empty()) return error(o);
  auto states = parse_state_mask(fl.states);
  if (!states) return error(states.error());
  auto by = parse_group_by(fl.by);
  if (!by) return error(by.error());
  auto kind = parse_source(fl.source);
  if (!kind) return error(kind.error());
  if (!fl.offline.from.empty() && (!fl.netns.empty() || fl.pid))
    return error("--from reads a saved dump; it cannot be combined with --netns or --pid");
  if (!fl.netns.empty() && fl.pid) return error("give either --netns or --pid, not both");
  if (fl.offline.from.empty()) {
    if (auto o = given(fl.sub, {"--format", "--strict"}); !o.empty())
      return error(
          fmt::format("{} describes the file of --from; give --from FILE or leave {} out", o, o));
  } else if (auto o = given(fl.sub, {"--source"}); !o.empty()) {
    return error("--source picks the live kernel's interface; it cannot be combined with --from");
  }
  if (fl.processes && !fl.offline.from.empty())
    return error(
        "-p looks up the owners of live sockets; a dump shows the owners it recorded (ss -p, "
        "netstat -p/-o, a snapshot): leave -p out with --from");
  if (!fl.port_range.empty())
    if (auto p = parse_port_range_option(fl.port_range); !p) return error(p.error());
  // With --save - (or /dev/stdout, the same stream), standard output carries the snapshot and
  // nothing else.
  const bool snapshot_to_stdout = fl.save == "-" || (!fl.save.empty() && [&] {
                                    auto t = check_output_path(fl.save);
                                    return t && t->standard_output;
                                  }());
  if (snapshot_to_stdout && fl.json)
    return error("--save - writes the snapshot to standard output; --json would mix into it");

  CensusOptions opts;
  opts.states = *states;
  opts.by = *by;

  HostFacts facts;
  std::string note;
  nlohmann::json import_json;  // what an imported dump held, for --json
  // Offline and live inputs both end as a stream of sockets into one census.
  std::unique_ptr<Census> census;
  std::unique_ptr<SnapshotWriter> writer;
  // Owners the input names (a snapshot, ss -p), bounded.
  std::map<int, ProcessCount> named;
  auto choose_pool = [&]() -> Status {
    if (!fl.port_range.empty()) {
      auto p = parse_port_range_option(fl.port_range);
      if (!p) return fail(p.error());
      opts.pool = *p;
      return {};
    }
    PoolChoice choice = port_pool_for(facts);
    if (!choice.error.empty()) return fail(choice.error);
    opts.pool = choice.pool;
    if (choice.pool && choice.assumed)
      note = fmt::format(
          "the dump has no port-range setting; port pressure assumes the {} default "
          "{}-{} (set --port-range LOW-HIGH)",
          facts.os == "windows" ? "Windows" : "Linux", choice.pool->low, choice.pool->high);
    return {};
  };
  auto start = [&]() -> Status {
    census = std::make_unique<Census>(opts);
    named.clear();
    if (!fl.save.empty()) {
      writer.reset();
      auto w = SnapshotWriter::open(fl.save, facts);
      if (!w) return fail(w.error());
      writer = std::move(*w);
    }
    return {};
  };
  // Live sockets carry an inode but no owner: -p and a snapshot look up (pid, command) once from
  // /proc/PID/fd (as ss -p does), since the owners cannot be found later on another machine.
  std::map<uint64_t, int> owners;
  std::map<int, std::string> commands;
  const bool count_owners = fl.processes || !fl.offline.from.empty();
  auto sink = [&](const Socket& in) {
    auto owner = in.pid < 0 && in.inode ? owners.find(in.inode) : owners.end();
    Socket with_owner;
    if (owner != owners.end()) {
      with_owner = in;
      with_owner.pid = owner->second;
      auto [c, fresh] = commands.try_emplace(owner->second);
      if (fresh) c->second = process_name(owner->second);
      with_owner.command = c->second;
    }
    const Socket& s = owner != owners.end() ? with_owner : in;
    census->add(s);
    if (count_owners && s.pid > 0 && states->has(s.state) &&
        (named.size() < 100000 || named.count(s.pid))) {
      ProcessCount& p = named[s.pid];
      p.pid = s.pid;
      if (p.command.empty()) p.command = s.command;
      ++p.sockets;
    }
    // Listeners come along for port pressure even when not asked for; the snapshot keeps only
    // what was asked.
    if (writer && states->has(s.state)) writer->add(s);
  };

  if (!fl.offline.from.empty()) {
    // The pool depends on facts that only the dump tells, so count after reading the facts:
    // offline inputs are read once into the census with the pool chosen from the header, and
    // the importer reports facts before the first socket.
    auto r = read_offline(
        fl.offline, *states, *states | StateMask::of(TcpState::kListen), &facts,
        [&](const HostFacts& f) -> Status {
          facts = f;
          if (auto st = choose_pool(); !st) return st;
          return start();
        },
        sink);
    if (!r) return error(r.error());
    if (!r->note.empty()) note = note.empty() ? r->note : r->note + "; " + note;
    import_json = r->json;
  } else {
    if (!fl.netns.empty()) {
      if (auto st = enter_netns_by_name(fl.netns); !st) return error(st.error());
    } else if (fl.pid) {
      if (auto st = enter_netns_of_pid(fl.pid); !st) return error(st.error());
    }
    facts = read_host_facts();
    facts.netns = !fl.netns.empty() ? fl.netns : fl.pid ? fmt::format("pid:{}", fl.pid) : "host";
    if (auto st = choose_pool(); !st) return error(st.error(), kExitFailure);
    if (auto st = start(); !st) return error(st.error());
    if (writer || fl.processes) owners = pids_of_all_sockets();
    auto live = read_live_sockets(
        *kind, census->source_states(), sink, [&] { (void)start(); },
        [&](std::string_view source) {
          facts.source = source;
          if (writer) writer->facts().source = source;
        });
    if (!live) {
      // EPERM on the netlink socket is the usual "not root in a container" case.
      return error(live.error(), kExitFailure);
    }
    facts.source = live->source;
    note = live->note;
  }
  if (!census) return error("no input was read", kExitUsage);
  if (writer) {
    if (auto st = writer->finish(); !st) return error(st.error(), kExitFailure);
  }

  if (snapshot_to_stdout) return kExitOk;
  CensusReport report{&facts, census.get(), note, static_cast<size_t>(fl.top), output_width()};
  for (auto& [pid, p] : named) report.owners.push_back(p);
  report.owners_live = fl.offline.from.empty();
  std::stable_sort(report.owners.begin(), report.owners.end(),
                   [](auto& a, auto& b) { return a.sockets > b.sockets; });
  if (fl.json) {
    nlohmann::json j = census_to_json(report);
    if (!import_json.is_null()) j["import"] = import_json;
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}", render_census_table(report));
    if (!fl.save.empty()) fmt::print("\nsnapshot written to {}\n", printable_line(fl.save));
  }
  return kExitOk;
}

Register reg(10, [](CLI::App& app) {
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
  add_offline_flags(sub, &fl->offline);
  mark_linux_only(sub, {"--netns", "--pid", "--source"});
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
