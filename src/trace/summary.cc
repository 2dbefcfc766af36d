// SPDX-License-Identifier: Apache-2.0
#include "trace/summary.h"

#include <algorithm>
#include <tuple>

namespace tw {

uint64_t FlowCounts::failed_total() const {
  uint64_t n = 0;
  for (auto& [err, c] : failed) n += c;
  return n;
}

uint64_t FlowCounts::bind_failed_total() const {
  uint64_t n = 0;
  for (auto& [err, c] : bind_failed) n += c;
  return n;
}

void FlowCounts::add(const FlowCounts& o) {
  for (auto& [err, c] : o.bind_failed) bind_failed[err] += c;
  connects += o.connects;
  active_closes += o.active_closes;
  passive_closes += o.passive_closes;
  bind_before_connect += o.bind_before_connect;
  for (auto& [err, c] : o.failed) failed[err] += c;
}

std::string_view closes_first(const FlowCounts& c) {
  if (c.active_closes && c.passive_closes) return "both";
  if (c.active_closes) return "this process";
  if (c.passive_closes) return "peer";
  return "";
}

SummaryBuilder::Id SummaryBuilder::id_of(const tw_flow_key& k) {
  Id id;
  id.pid = static_cast<int>(k.pid);
  id.cgroup_id = k.cgroup_id;
  id.comm = decode_comm(k.comm);
  id.role = k.role <= TW_ROLE_SERVER ? static_cast<TraceRole>(k.role) : TraceRole::kUnknown;
  id.local = Endpoint{decode_address(k.family, k.laddr), k.lport};
  id.remote = Endpoint{decode_address(k.family, k.raddr), k.rport};
  return id;
}

void SummaryBuilder::add_flow(const tw_flow_key& key, const tw_flow_counts& c) {
  FlowCounts& f = flows_[id_of(key)];
  f.connects += c.connects;
  f.active_closes += c.active_closes;
  f.passive_closes += c.passive_closes;
  f.bind_before_connect += c.bind_connects;
}

void SummaryBuilder::add_failure(const tw_fail_key& key, uint64_t count) {
  FlowCounts& f = flows_[id_of(key.flow)];
  (key.call == TW_CALL_BIND ? f.bind_failed : f.failed)[key.err] += count;
}

namespace {
// Worst first: TIME_WAITs made and failed connects are what the user came for.
template <class T>
void sort_worst_first(std::vector<T>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const T& a, const T& b) {
    auto weight = [](const FlowCounts& c) {
      return std::tuple(c.active_closes + c.failed_total() + c.bind_failed_total(),
                        c.connects + c.passive_closes);
    };
    return weight(a.counts) > weight(b.counts);
  });
}
}  // namespace

TraceSummary SummaryBuilder::finish(double seconds, const TraceLoss& lost) const {
  TraceSummary s;
  s.seconds = seconds;
  s.lost = lost;
  for (auto& [id, counts] : flows_)
    s.flows.push_back(
        TraceFlow{id.pid, id.comm, id.role, id.local, id.remote, counts, id.cgroup_id, {}});
  sort_worst_first(s.flows);
  return s;
}

std::vector<TraceProcess> TraceSummary::processes() const {
  std::map<std::pair<int, std::string>, TraceProcess> by;
  for (const TraceFlow& f : flows) {
    TraceProcess& p = by[{f.pid, f.comm}];
    p.counts.add(f.counts);
    if (p.pod.empty()) p.pod = f.pod;
    if (!p.cgroup_id) p.cgroup_id = f.cgroup_id;
  }
  std::vector<TraceProcess> out;
  for (auto& [k, p] : by) {
    p.pid = k.first;
    p.comm = k.second;
    out.push_back(p);
  }
  sort_worst_first(out);
  return out;
}

}  // namespace tw
