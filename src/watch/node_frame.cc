// SPDX-License-Identifier: Apache-2.0
// build_node_frame (watch/frame.h): the node's frame made of its namespaces' own frames, so each
// number is the one the namespace's frame (and /metrics) shows.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "watch/frame.h"

namespace tw::watch {

namespace {

void add(Moving& to, const Moving& m) {
  to.now += m.now;
  to.since_last += m.since_last;
  to.since_start += m.since_start;
}

}  // namespace

Frame build_node_frame(const SampleSet& set, const Sampler& sampler, StateMask states) {
  Frame node;
  node.sequence = set.sequence;
  node.wall = set.wall;
  node.target = "node";
  node.census_seconds = set.duration_s;
  node.node_source = set.node_source;
  node.one_walk = set.one_walk;
  node.namespaces = set.samples.size();
  node.by = GroupBy::kTuple;

  std::map<int, Moving> by_state;
  std::map<std::string, Moving> counters;
  std::vector<std::string> not_read;
  for (size_t i = 0; i < set.samples.size(); ++i) {
    Frame f = build_frame(set, i, sampler.history(i), sampler.first(i), states);
    if (!f.error.empty()) {
      not_read.push_back(fmt::format("{} ({})", f.target, f.error));
      continue;
    }
    ++node.namespaces_read;
    node.by = f.by;
    for (const StateLine& s : f.states) add(by_state[state_index(s.state)], s.count);
    add(node.total, f.total);
    if (f.sockstat_tw) node.sockstat_tw = node.sockstat_tw.value_or(0) + *f.sockstat_tw;
    node.fin_wait2_mini += f.fin_wait2_mini;
    node.time_wait_rate_10s += f.time_wait_rate_10s;
    node.time_wait_rate_60s += f.time_wait_rate_60s;
    // Refreshes line up from the newest: namespaces seen for less time add to the recent ones.
    if (f.rate_history.size() > node.rate_history.size())
      node.rate_history.insert(node.rate_history.begin(),
                               f.rate_history.size() - node.rate_history.size(), 0.0);
    const size_t off = node.rate_history.size() - f.rate_history.size();
    for (size_t k = 0; k < f.rate_history.size(); ++k)
      node.rate_history[off + k] += f.rate_history[k];
    node.history_seconds = std::max(node.history_seconds, f.history_seconds);
    for (const CounterLine& c : f.counters) add(counters[c.name], c.value);
    for (Row& r : f.rows) {
      r.key = fmt::format("{}: {}", f.target, r.key);
      r.netns = f.target;
      node.rows.push_back(std::move(r));
    }
    for (FindingLine& x : f.findings) {
      x.title = fmt::format("{}: {}", f.target, x.title);
      node.findings.push_back(std::move(x));
    }
  }
  for (auto& [i, m] : by_state) node.states.push_back({state_at(i), m});
  for (auto& [name, m] : counters) node.counters.push_back({name, m});
  // Worst first across the node, as each frame orders its own: pools by forecast, groups by size.
  std::stable_sort(node.rows.begin(), node.rows.end(), [](const Row& a, const Row& b) {
    if (a.forecast && b.forecast) return worse(*a.forecast, *b.forecast);
    if (a.forecast || b.forecast) return a.forecast.has_value();
    return a.sockets > b.sockets;
  });
  std::stable_sort(
      node.findings.begin(), node.findings.end(),
      [](const FindingLine& a, const FindingLine& b) { return a.severity > b.severity; });

  std::vector<std::string> notes;
  if (node.one_walk)
    notes.push_back(fmt::format("{} namespaces read by one walk of the shared table ({})",
                                node.namespaces, node.node_source));
  else if (!set.node_note.empty())
    notes.push_back(fmt::format("{} namespaces read one at a time ({}): {}", node.namespaces,
                                node.node_source, set.node_note));
  if (!not_read.empty()) {
    // A few named: on a node where containers come and go, the rest is a count.
    constexpr size_t kNamed = 3;
    std::string list;
    for (size_t k = 0; k < not_read.size() && k < kNamed; ++k)
      list += (list.empty() ? "" : ", ") + not_read[k];
    if (not_read.size() > kNamed) list += fmt::format(" and {} more", not_read.size() - kNamed);
    notes.push_back(fmt::format("{} not read: {}", not_read.size(), list));
  }
  for (const auto& n : notes) node.note += (node.note.empty() ? "" : "; ") + n;
  if (node.namespaces_read == 0)
    node.error = not_read.empty() ? "no network namespace found"
                                  : "no namespace could be read: " + node.note;
  return node;
}

}  // namespace tw::watch
