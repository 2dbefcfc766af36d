// SPDX-License-Identifier: Apache-2.0
#include "watch/frame.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tw::watch {

namespace {

Moving moving(int64_t now, std::optional<int64_t> last, std::optional<int64_t> start) {
  return {now, last ? now - *last : 0, start ? now - *start : 0};
}

std::optional<int64_t> counter_of(const SampleSummary* s, const std::string& name) {
  if (!s) return std::nullopt;
  auto it = s->counters.find(name);
  return it == s->counters.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

bool watched_counter(std::string_view name) {
  return name == "TCPTimeWaitOverflow" || name == "TWRecycled" || name == "TWKilled" ||
         name.starts_with("PAWS");
}

Frame build_frame(const SampleSet& set, size_t target, const std::vector<SampleSummary>& history,
                  const std::optional<SampleSummary>& first, StateMask states) {
  Frame f;
  f.sequence = set.sequence;
  f.wall = set.wall;
  if (target >= set.samples.size()) {
    f.error = "no such target";
    return f;
  }
  const Sample& s = *set.samples[target];
  f.target = s.target.label();
  f.pod = s.target.pod;
  f.pod_host_network = s.target.pod_host_network;
  f.title = s.target.title();
  f.census_seconds = s.duration_s;
  f.note = s.note;
  if (!s.ok() || history.empty() || !history.back().ok) {
    f.error = s.ok() ? "no summary of this refresh" : s.error;
    return f;
  }
  const SampleSummary& now = history.back();
  // The last readable refresh before this one: a failed one in between has no counts.
  const SampleSummary* last = nullptr;
  for (size_t i = history.size() - 1; i-- > 0;)
    if (history[i].ok) {
      last = &history[i];
      break;
    }
  const SampleSummary* start = first ? &*first : nullptr;

  for (int i = 0; i < kStateCount; ++i) {
    const TcpState st = state_at(i);
    if (!states.has(st)) continue;
    Moving m = moving(now.counts[i], last ? std::optional(last->counts[i]) : std::nullopt,
                      start ? std::optional(start->counts[i]) : std::nullopt);
    f.total.now += m.now;
    f.total.since_last += m.since_last;
    f.total.since_start += m.since_start;
    if (m.now || m.since_start || st == TcpState::kTimeWait) f.states.push_back({st, m});
  }
  f.sockstat_tw = now.sockstat_tw;
  f.fin_wait2_mini = now.fin_wait2_mini;
  f.time_wait_rate_10s = now.time_wait_rate_10s;
  f.time_wait_rate_60s = now.time_wait_rate_60s;
  for (const SampleSummary& h : history)
    if (h.ok) f.rate_history.push_back(h.time_wait_rate_10s);
  f.history_seconds = std::chrono::duration<double>(now.taken - history.front().taken).count();
  for (const auto& [name, value] : now.counters) {
    if (!watched_counter(name)) continue;
    Moving m = moving(value, counter_of(last, name), counter_of(start, name));
    if (m.since_start || m.since_last) f.counters.push_back({name, m});
  }

  f.pool = s.pool;
  f.by = s.census().options().by;
  if (f.by == GroupBy::kState) f.by = GroupBy::kTuple;
  if (f.by == GroupBy::kTuple) {
    for (const TupleForecast& t : s.tuples) {
      const Forecast& fc = t.forecast;
      f.rows.push_back({describe_key(t.tuple.key, GroupBy::kTuple), fc.in_use, fc.time_wait,
                        fc.rate_10s.value_or(fc.rate_60s), fc.percent, fc});
    }
    // Bind pools go where their forecast puts them among the tuples (both lists are worst first).
    for (const SourceForecast& b : s.bind_pools) {
      const Forecast& fc = b.forecast;
      Row r{fmt::format("{} (bind, {} dest.)", b.pool.local.to_string(), b.pool.tuples),
            fc.in_use,
            fc.time_wait,
            fc.rate_10s.value_or(fc.rate_60s),
            fc.percent,
            fc};
      r.bind_pool = true;
      auto at = std::find_if(f.rows.begin(), f.rows.end(),
                             [&](const Row& x) { return !x.bind_pool && worse(fc, *x.forecast); });
      f.rows.insert(at, std::move(r));
    }
  } else {
    std::vector<GroupRow> groups = s.census().groups();
    const int64_t most = groups.empty() ? 0 : groups.front().total;
    for (const GroupRow& g : groups)
      f.rows.push_back({describe_key(g.key, f.by), g.total,
                        g.counts[state_index(TcpState::kTimeWait)], g.time_wait_ages.rate(10),
                        most ? 100.0 * g.total / most : 0, std::nullopt});
  }
  for (const Finding& x : s.findings) f.findings.push_back({x.severity, x.checked, x.id, x.title});
  return f;
}

std::string_view sort_key_name(SortKey k) {
  switch (k) {
    case SortKey::kPressure:
      return "pressure";
    case SortKey::kRate:
      return "rate";
    case SortKey::kTimeWait:
      return "time-wait";
  }
  return "pressure";
}

Result<SortKey> parse_sort_key(std::string_view name) {
  for (SortKey k : kSortKeys)
    if (name == sort_key_name(k)) return k;
  return fail(fmt::format("unknown sort key '{}'; use pressure, rate or time-wait", name));
}

SortKey next_sort_key(SortKey k) {
  auto it = std::find(kSortKeys.begin(), kSortKeys.end(), k);
  return ++it == kSortKeys.end() ? kSortKeys.front() : *it;
}

std::vector<const Row*> visible_rows(const Frame& f, SortKey sort, std::string_view filter) {
  const std::string needle = lower(filter);
  std::vector<const Row*> out;
  for (const Row& r : f.rows)
    if (needle.empty() || lower(r.key).find(needle) != std::string::npos) out.push_back(&r);
  if (sort == SortKey::kRate)
    std::stable_sort(out.begin(), out.end(),
                     [](const Row* a, const Row* b) { return a->rate_10s > b->rate_10s; });
  else if (sort == SortKey::kTimeWait)
    std::stable_sort(out.begin(), out.end(),
                     [](const Row* a, const Row* b) { return a->time_wait > b->time_wait; });
  return out;
}

}  // namespace tw::watch
