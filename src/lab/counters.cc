// SPDX-License-Identifier: Apache-2.0
#include "lab/counters.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "os/read_file.h"
#include "sources/host_reader.h"
#include "sources/live_sockets.h"

namespace tw::lab {

int64_t Counters::get(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? 0 : it->second;
}

Result<Counters> read_counters(const Netns& ns) {
  Counters c;
  bool ok = true;
  auto st = ns.run_in([&] {
    for (const char* path : {"/proc/thread-self/net/netstat", "/proc/thread-self/net/snmp"}) {
      auto text = os::read_file(path);
      if (!text) ok = false;
      parse_counters(text.value_or(""), &c.values);
    }
  });
  if (!st) return fail(st.error());
  if (!ok) return fail(fmt::format("cannot read the TCP counters of namespace {}", ns.name()));
  return c;
}

Counters operator-(const Counters& after, const Counters& before) {
  Counters d;
  for (auto& [k, v] : after.values) d.values[k] = v - before.get(k);
  return d;
}

Result<Census> take_census(const Netns& ns, GroupBy by) {
  CensusOptions opts;
  opts.by = by;
  Census census(opts);
  Result<LiveReport> live = fail("not run");
  auto st = ns.run_in([&] {
    live = read_live_sockets(
        SourceKind::kAuto, opts.states, [&](const Socket& s) { census.add(s); },
        [&] { census = Census(opts); });
  });
  if (!st) return fail(st.error());
  if (!live) return fail(live.error());
  return census;
}

Result<std::vector<Socket>> list_sockets(const Netns& ns, StateMask states) {
  std::vector<Socket> out;
  Result<LiveReport> live = fail("not run");
  auto st = ns.run_in([&] {
    live = read_live_sockets(
        SourceKind::kAuto, states, [&](const Socket& s) { out.push_back(s); },
        [&] { out.clear(); });
  });
  if (!st) return fail(st.error());
  if (!live) return fail(live.error());
  return out;
}

int64_t count_in(const Census& census, TcpState state, uint16_t local_port, uint16_t remote_port) {
  int64_t n = 0;
  for (const GroupRow& row : census.groups()) {
    if (local_port && row.key.local.port != local_port) continue;
    if (remote_port && row.key.remote.port != remote_port) continue;
    n += row.counts[state_index(state)];
  }
  return n;
}

}  // namespace tw::lab
