#include "cli/offline_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "sources/snapshot_file.h"

namespace tw::cli {

void add_offline_flags(CLI::App* sub, OfflineFlags* fl) {
  sub->add_option("--from", fl->from,
                  "Read a saved input instead of the live kernel: a `census --save` snapshot "
                  "(- for standard input)");
  sub->add_option("--format", fl->format, "Format of --from (default: detected)");
  sub->add_flag("--strict", fl->strict, "Fail on the first line of --from that fits no format");
}

Result<std::string> read_offline(const OfflineFlags& fl, StateMask states, HostFacts* facts,
                                 const std::function<Status(const HostFacts&)>& on_facts,
                                 const SocketSink& sink) {
  if (fl.from != "-") {
    std::ifstream in(fl.from);
    if (!in)
      return fail(fmt::format("cannot open {}: {}", fl.from, std::strerror(errno)));
  }
  // Until the importers exist, only snapshots are read; the facts come before the sockets there.
  bool started = false;
  Status st;
  auto gated = [&](const Socket& s) {
    if (!states.has(s.state) || !st) return;
    sink(s);
  };
  HostFacts f;
  std::vector<Socket> none;
  auto r = read_snapshot(fl.from, &f, [&](const Socket& s) {
    if (!started) {
      started = true;
      *facts = f;
      st = on_facts(f);
    }
    gated(s);
  });
  if (!r) return fail(r.error());
  if (!started) {
    *facts = f;
    if (auto s2 = on_facts(f); !s2) return fail(s2.error());
  }
  if (!st) return fail(st.error());
  return std::string();
}

}  // namespace tw::cli
