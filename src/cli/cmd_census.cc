// `timewait census`: counts TCP sockets by state and group, port pressure, TIME_WAIT rate.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "census/census.h"
#include "census/port_pool.h"
#include "census/report.h"
#include "cli/command.h"
#include "cli/offline_input.h"
#include "sources/host_reader.h"
#include "sources/live_sockets.h"
#include "sources/netns.h"
#include "sources/snapshot_file.h"

namespace tw::cli {

namespace {

struct CensusFlags {
  std::string netns;
  int pid = 0;
  std::vector<std::string> states;
  std::string by = "state";
  size_t top = 20;
  bool json = false;
  std::string save;
  OfflineFlags offline;
  std::string source = "auto";
  std::string port_range;
};

Result<SourceKind> parse_source(const std::string& s) {
  if (s == "auto") return SourceKind::kAuto;
  if (s == "netlink") return SourceKind::kNetlink;
  if (s == "proc") return SourceKind::kProc;
  return fail(fmt::format("unknown source '{}'; use auto, netlink or proc", s));
}

int run(const CensusFlags& fl) {
  auto states = parse_state_mask(fl.states);
  if (!states) return error(states.error());
  auto by = parse_group_by(fl.by);
  if (!by) return error(by.error());
  auto kind = parse_source(fl.source);
  if (!kind) return error(kind.error());
  if (!fl.offline.from.empty() && (!fl.netns.empty() || fl.pid))
    return error("--from reads a saved dump; it cannot be combined with --netns or --pid");
  if (!fl.netns.empty() && fl.pid) return error("give either --netns or --pid, not both");

  CensusOptions opts;
  opts.states = *states;
  opts.by = *by;

  HostFacts facts;
  std::string note;
  nlohmann::json import_json;  // what an imported dump held, for --json
  // Offline and live inputs both end as a stream of sockets into one census.
  std::unique_ptr<Census> census;
  std::unique_ptr<SnapshotWriter> writer;
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
    if (!fl.save.empty()) {
      writer.reset();
      auto w = SnapshotWriter::open(fl.save, facts);
      if (!w) return fail(w.error());
      writer = std::move(*w);
    }
    return {};
  };
  auto sink = [&](const Socket& s) {
    census->add(s);
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
    auto live = read_live_sockets(*kind, census->source_states(), sink, [&] { (void)start(); });
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

  CensusReport report{&facts, census.get(), note, fl.top};
  if (fl.json) {
    nlohmann::json j = census_to_json(report);
    if (!import_json.is_null()) j["import"] = import_json;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}", render_census_table(report));
    if (!fl.save.empty()) fmt::print("\nsnapshot written to {}\n", fl.save);
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
  sub->add_option("--pid", fl->pid, "Count in the network namespace of this process");
  sub->add_option("-s,--state", fl->states,
                  std::string("Only these states (ss names or groups, comma-separated): ") +
                      std::string(state_names_help()))
      ->delimiter(',');
  sub->add_option("--by", fl->by,
                  "Group by: state (default), peer, peer-port, local, local-port, tuple "
                  "(local address, remote address, remote port: the unit of port pressure)")
      ->capture_default_str();
  sub->add_option("--top", fl->top, "Rows in group and pressure tables (0 = all)")
      ->capture_default_str();
  sub->add_flag("--json", fl->json, "JSON output (schema: docs/json.md)");
  sub->add_option("--save", fl->save,
                  "Also write a snapshot (sockets + sysctls + sockstat) to FILE for "
                  "`census --from` / `doctor --from` elsewhere");
  sub->add_option("--source", fl->source,
                  "Live source: auto (inet_diag, else /proc/net/tcp), netlink, proc")
      ->capture_default_str();
  sub->add_option("--port-range", fl->port_range,
                  "Ephemeral range LOW-HIGH for port pressure of a dump without one");
  add_offline_flags(sub, &fl->offline);
  return std::pair{sub, std::function<int()>([fl] { return run(*fl); })};
});

}  // namespace

}  // namespace tw::cli
