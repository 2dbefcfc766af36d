// SPDX-License-Identifier: Apache-2.0
#include "cli/offline_input.h"

#include <fmt/format.h>

#include "import/import.h"
#include "import/import_json.h"

namespace tw::cli {

void add_offline_flags(CLI::App* sub, OfflineFlags* fl) {
  std::string names;
  for (auto& n : import_format_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--from", fl->from,
                  "Read a saved dump instead of the live kernel: output of ss -tan (or -a), "
                  "ss -D (binary), netstat with or without -n (Linux, Windows incl. -anob, "
                  "macOS/FreeBSD incl. -A), Get-NetTCPConnection, /proc/net/tcp, or a "
                  "`census --save` snapshot (- for standard input; see \"Importing dumps\" in the "
                  "timewait docs)");
  sub->add_option("--format", fl->format, "Format of --from (default: detected): " + names);
  sub->add_flag("--strict", fl->strict, "Fail on the first line of --from that fits no format");
}

Result<OfflineResult> read_offline(const OfflineFlags& fl, StateMask requested, StateMask pass,
                                   HostFacts* facts,
                                   const std::function<Status(const HostFacts&)>& on_facts,
                                   const SocketSink& sink) {
  ImportOptions o;
  o.path = fl.from;
  o.format = fl.format;
  o.strict = fl.strict;
  // A dump without a state column (`ss -tan state time-wait`) takes its state from --state.
  for (int i = 0; i < kStateCount; ++i)
    if (requested.bits == StateMask::of(state_at(i)).bits) o.implied_state = state_at(i);
  // The importer fills the facts before the first socket: the pool is chosen from them.
  bool started = false;
  Status st;
  HostFacts f;
  auto r = import_file(o, &f, [&](const Socket& s) {
    if (!started) {
      started = true;
      *facts = f;
      st = on_facts(f);
    }
    if (!st || !pass.has(s.state)) return;
    sink(s);
  });
  if (!r) return fail(r.error());
  if (!started) {
    *facts = f;
    if (auto s2 = on_facts(f); !s2) return fail(s2.error());
  }
  if (!st) return fail(st.error());
  return OfflineResult{describe_import(*r), import_report_to_json(*r)};
}

}  // namespace tw::cli
