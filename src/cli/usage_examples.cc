// SPDX-License-Identifier: Apache-2.0
#include "cli/usage_examples.h"

#include <fmt/format.h>

#include "census/table.h"
#include "cli/terminal.h"

namespace tw::cli {

namespace {

using usage::Example;
using usage::ExitStatus;

// The codes every command shares (command.h, README "Exit status").
const ExitStatus kOk{"0", "success."};
const ExitStatus kFailed{
    "1",
    "the command ran and failed: the kernel refused, a write failed (a full disk, `--save` or "
    "`--apply` cut short, standard output full or unwritable)."};
const ExitStatus kUsage{
    "2",
    "bad input: an unknown name, a missing namespace or file, a bad option value, an option "
    "that does nothing in the mode given, not root where root is needed."};
const ExitStatus kPipe{
    "141", "killed by SIGPIPE: the reader of standard output went away, as for any filter."};
const std::vector<ExitStatus> kCommon{kOk, kFailed, kUsage, kPipe};

std::vector<CommandUsage> build() {
  return {
      {"",
       {{"timewait census",
         "What is there: sockets per state, and which destination runs out "
         "of source ports, and when."},
        {"timewait doctor", "What is wrong, why, and the fix, from this host's own values."},
        {"timewait trace --summary --duration 10",
         "Which processes make the TIME_WAITs and fail to connect, counted for 10 seconds."},
        {"timewait explain time-wait", "Why TIME_WAIT exists and what it costs."}},
       {kOk,
        kFailed,
        kUsage,
        {"3, 4", "`doctor` only: the worst finding is a warning (3) or critical (4)."},
        kPipe}},
      {"census",
       {{"timewait census", "Sockets per state, and port pressure per destination."},
        {"timewait census --by tuple --top 5",
         "The five destinations (local address, remote address and port) nearest to running out "
         "of source ports."},
        {"timewait census -s time-wait --by peer-port", "TIME_WAIT sockets per remote port."},
        {"timewait census --netns blue --json",
         "The named network namespace blue, as JSON (schema timewait-census/1)."},
        {"timewait census --all-netns --top 5",
         "The five network namespaces of the node under most port pressure, one block each."},
        {"timewait census --from ss-tan.txt",
         "A dump another machine saved with `ss -tan > ss-tan.txt` (or netstat, PowerShell)."}},
       kCommon},
      {"doctor",
       {{"timewait doctor", "Findings for this host, worst first, each with its source and fix."},
        {"timewait doctor --interval 10",
         "Also what grows now: kernel counters sampled 10 seconds apart."},
        {"timewait doctor --apply", "The safe kernel settings among the fixes, as a diff."},
        {"timewait doctor --apply --yes",
         "Write them (/etc/sysctl.d/60-timewait.conf and /proc/sys); `--revert --yes` puts the "
         "old values back."},
        {"timewait doctor --from ss-tan.txt", "Audit a dump saved on another machine."}},
       {{"0", "no finding above information."},
        kFailed,
        kUsage,
        {"3", "the worst finding is a warning."},
        {"4", "the worst finding is critical."},
        kPipe}},
      {"trace",
       {{"timewait trace",
         "Stream TCP state changes with the process that caused them, until Ctrl-C."},
        {"timewait trace --summary --duration 10",
         "Count in the kernel for 10 seconds, per process and destination."},
        {"timewait trace --comm nginx -s time-wait", "Only nginx's sockets entering TIME_WAIT."}},
       kCommon},
      {"explain",
       {{"timewait explain", "The topics."},
        {"timewait explain tcp_tw_reuse", "What tcp_tw_reuse does, when it helps, and its risk."}},
       kCommon},
      {"lab",
       {{"timewait lab list", "The scenarios."},
        {"timewait lab run churn",
         "EADDRNOTAVAIL with a small port range, and what tcp_tw_reuse changes."},
        {"timewait lab run all --json",
         "Every scenario, one JSON line each as it finishes (a progress line on a terminal)."}},
       {kOk, {"1", "a measurement differs from theory, or the run failed."}, kUsage, kPipe}},
      {"watch",
       {{"timewait watch",
         "The live screen: states, rates and the destinations nearest to "
         "running out of ports (q quits)."},
        {"timewait watch --by tuple -i 2", "Refresh every 2 seconds, per destination tuple."},
        {"timewait watch --json -n 3", "Three refreshes as JSON lines, then exit."},
        {"timewait watch --all-netns",
         "Every namespace of the node: the worst pools across it, each named."}},
       kCommon},
      {"exporter",
       {{"timewait exporter", "Serve /metrics on 127.0.0.1:10040 for this network namespace."},
        {"timewait exporter --listen 127.0.0.1:10040 --all-netns",
         "Every network namespace on the host, as the timewait-exporter service does "
         "(/etc/default/timewait-exporter)."},
        {"timewait exporter --all-netns --path.procfs /host/proc --path.rootfs /host",
         "In a container with the host's /proc and root under /host (the DaemonSet): a pod's "
         "namespace gains namespace and pod labels."}},
       {{"0", "stopped by SIGTERM, SIGINT or SIGHUP."},
        {"1", "the address cannot be served (in use, not this host's) or the server failed."},
        kUsage}},
      {"plan",
       {{"timewait plan --rate 500",
         "Whether 500 new connections a second to one destination fit the default port range."},
        {"timewait plan --rate 2000 --reuse 1", "The same at 2000 a second with tcp_tw_reuse=1."},
        {"timewait plan --from ss-tan.txt", "Plan from the rates and ranges of a saved dump."},
        {"timewait plan --from snap.json --trace trace.json",
         "Plan for the demand `timewait trace --summary --json` counted (connects made and "
         "failed), where the snapshot's pool was exhausted."}},
       kCommon},
      {"completion",
       {{"source <(timewait completion bash)", "Complete timewait in this bash session."},
        {"timewait completion zsh > ~/.zfunc/_timewait",
         "Install zsh's completion (with ~/.zfunc in fpath)."}},
       kCommon},
  };
}

// "the worst finding is a warning." -> "the worst finding is a warning": the text up to its
// first ':', ';' or '.', for the one line --help has room for.
std::string brief(const std::string& text) {
  std::string s = text.substr(0, text.find_first_of(":;."));
  std::string out;
  for (char c : s)
    if (c != '`') out += c;
  return out;
}

std::string footer(const CommandUsage& u, const std::string& page) {
  std::string out;
  if (!u.examples.empty()) {
    out += "Examples:\n";
    // What each shows as a shell comment over it, so the block can be pasted as it is.
    for (const Example& e : u.examples)
      out += wrap_text(e.text, output_width(), "  # ", "  # ") + fmt::format("  {}\n", e.command);
  }
  if (!u.exit_status.empty()) {
    std::string codes;
    for (const ExitStatus& e : u.exit_status)
      codes += fmt::format("{}{} {}", codes.empty() ? "" : "; ", e.code, brief(e.text));
    out += fmt::format("{}Exit status: {} (man {}).\n", out.empty() ? "" : "\n", codes, page);
  }
  // CLI11 ends the footer with a line break of its own.
  if (!out.empty()) out.pop_back();
  return out;
}

// A nested command without its own (lab run) shows its parent's: its examples are there too.
void add_footers(CLI::App& app, const std::string& path, const CommandUsage* parent) {
  const CommandUsage* u = find_command_usage(path);
  if (!u && !path.empty() && path.find(' ') != std::string::npos) u = parent;
  if (u) {
    std::string top = path.substr(0, path.find(' '));
    app.footer(footer(*u, top.empty() ? "timewait" : "timewait-" + top));
  }
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    add_footers(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), u);
}

}  // namespace

const std::vector<CommandUsage>& command_usage() {
  static const std::vector<CommandUsage> all = build();
  return all;
}

const CommandUsage* find_command_usage(const std::string& path) {
  for (const CommandUsage& u : command_usage())
    if (u.path == path) return &u;
  return nullptr;
}

void add_usage_footers(CLI::App& root) { add_footers(root, "", nullptr); }

}  // namespace tw::cli
