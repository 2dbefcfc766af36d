// SPDX-License-Identifier: Apache-2.0
#include "lab/counters.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "os/read_file.h"
#include "sources/host_reader.h"
#include "sources/live_input.h"

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

namespace {
// The sockets of the calling thread's namespace (ns.run_in's thread).
Result<StreamReport> stream_here(StateMask states, SocketReceiver& to) {
  auto in = open_live_input(InputTarget{});
  if (!in) return fail(in.error());
  return (*in)->stream(states, to);
}
}  // namespace

Result<Census> take_census(const Netns& ns, GroupBy by) {
  CensusOptions opts;
  opts.by = by;
  Census census(opts);
  Result<StreamReport> live = fail("not run");
  auto st = ns.run_in([&] {
    FunctionReceiver counted([&](const Socket& s) { census.add(s); },
                             [&] { census = Census(opts); });
    live = stream_here(opts.states, counted);
  });
  if (!st) return fail(st.error());
  if (!live) return fail(live.error());
  return census;
}

Result<std::vector<Socket>> list_sockets(const Netns& ns, StateMask states) {
  std::vector<Socket> out;
  Result<StreamReport> live = fail("not run");
  auto st = ns.run_in([&] {
    FunctionReceiver listed([&](const Socket& s) { out.push_back(s); }, [&] { out.clear(); });
    live = stream_here(states, listed);
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
