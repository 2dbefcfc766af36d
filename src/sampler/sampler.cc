// SPDX-License-Identifier: Apache-2.0
#include "sampler/sampler.h"

#include <fmt/format.h>

#include <exception>
#include <thread>

#include "census/port_pool.h"
#include "doctor/nat_signature.h"
#include "doctor/rules.h"
#include "sources/live_input.h"
#include "sources/node_read.h"

namespace tw {

namespace {

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// What one sample counts: every socket for the doctor (its censuses and port pressure), both
// families apart, and the view the options ask for. An interrupted read starts it over.
class SamplePass final : public SocketReceiver {
 public:
  SamplePass(Sample& s, const SamplerOptions& o)
      : s_(s), o_(o), own_view_(!o.states.is_all() || o.by != GroupBy::kState) {
    restart();
  }
  void add(const Socket& sock) override {
    s_.collector->add(sock);
    s_.families.add(sock);
    if (s_.view) s_.view->add(sock);
  }
  void restart() override {
    s_.collector = std::make_unique<DoctorCollector>(s_.pool, s_.pool_assumed);
    s_.families = FamilyCounts{};
    // Pressure is measured once, on every socket (the doctor's census): the view only counts.
    if (own_view_)
      s_.view = std::make_unique<Census>(CensusOptions{o_.states, o_.by, std::nullopt});
  }

 private:
  Sample& s_;
  const SamplerOptions& o_;
  const bool own_view_;
};

// A sample's census starts from its facts: the pool port pressure is measured against.
bool begin_sample(Sample& s, const HostFacts& facts, const SamplerOptions& o) {
  s.facts = facts;
  PoolChoice c = choose_pool(s.facts, o.port_range);
  if (!c.error.empty()) {
    s.error = c.error;
    return false;
  }
  s.pool = c.pool;
  s.pool_assumed = c.assumed;
  return true;
}

// What follows the read: the doctor's input (with the previous sample's facts and PAWS window),
// the forecasts and the findings.
void finish_sample(Sample& s, const SamplerOptions& o, const Sample* previous) {
  s.input = s.collector->input(s.facts, o.owners);
  if (previous && previous->ok()) {
    s.input.earlier = previous->facts;
    s.input.interval_seconds = seconds_between(previous->taken, s.taken);
    // Carry the previous samples' PAWS counters forward, up to the window; the oldest kept is
    // the doctor's window start.
    s.recent_counters = previous->recent_counters;
    std::map<std::string, int64_t> paws;
    for (const char* name : kPawsCounters)
      if (auto it = previous->facts.counters.find(name); it != previous->facts.counters.end())
        paws[name] = it->second;
    s.recent_counters.emplace_back(previous->taken, std::move(paws));
    while (s.recent_counters.size() > 1 &&
           seconds_between(s.recent_counters.front().first, s.taken) > kCounterWindowSeconds)
      s.recent_counters.pop_front();
    s.input.window_counters = s.recent_counters.front().second;
    s.input.window_seconds = seconds_between(s.recent_counters.front().first, s.taken);
  }
  s.tuples = forecast_tuples(*s.input.sockets, s.input.policy());
  if (!s.input.is_windows())
    s.bind_pools = forecast_source_pools(*s.input.sockets, s.input.policy());
  if (o.doctor) s.findings = run_rules(s.input);
}

// Everything of one sample, on a thread that may move into the target's namespace (setns()
// moves only the calling thread; the thread ends with the sample, so nothing else moves).
void read_target(Sample& s, const SamplerOptions& o, const Sample* previous) {
  auto input = open_live_input(s.target, o.source);
  if (!input) {
    s.error = input.error();
    return;
  }
  auto facts = (*input)->facts();
  if (!facts) {
    s.error = facts.error();
    return;
  }
  if (!begin_sample(s, **facts, o)) return;
  SamplePass pass(s, o);
  auto r = (*input)->stream(StateMask::all(), pass);
  if (!r) {
    s.error = r.error();
    return;
  }
  s.facts.source = r->source;
  s.note = r->note;
  finish_sample(s, o, previous);
}

// A failed sample carries no half-filled census.
void clear_failed(Sample& s) {
  if (s.ok()) return;
  s.collector.reset();
  s.view.reset();
  s.input = DoctorInput{};
  s.tuples.clear();
  s.bind_pools.clear();
  s.findings.clear();
}

}  // namespace

double Sample::time_wait_rate(int seconds) const {
  return ok() && input.sockets ? input.sockets->time_wait_ages().rate(seconds) : 0;
}

std::unique_ptr<Sample> take_sample(const SampleTarget& target, const SamplerOptions& options,
                                    const Sample* previous) {
  auto s = std::make_unique<Sample>();
  s->target = target;
  s->taken = std::chrono::steady_clock::now();
  std::thread worker([&] {
    try {
      read_target(*s, options, previous);
    } catch (const std::exception& e) {
      s->error = fmt::format("reading {} failed: {}", target.label(), e.what());
    }
  });
  worker.join();
  s->duration_s = seconds_between(s->taken, std::chrono::steady_clock::now());
  clear_failed(*s);
  return s;
}

std::vector<std::unique_ptr<Sample>> take_node_samples(const std::vector<SampleTarget>& targets,
                                                       const SamplerOptions& options,
                                                       const std::vector<const Sample*>& previous,
                                                       SampleSet& set) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Sample>> out;
  std::vector<std::unique_ptr<SamplePass>> passes(targets.size());
  for (const auto& t : targets) {
    auto s = std::make_unique<Sample>();
    s->target = t;
    s->taken = started;
    out.push_back(std::move(s));
  }
  NodeReport node = read_node(targets, options.source, StateMask::all(),
                              [&](size_t i, const HostFacts& facts) -> Result<SocketReceiver*> {
                                Sample& s = *out[i];
                                if (!begin_sample(s, facts, options)) return fail(s.error);
                                passes[i] = std::make_unique<SamplePass>(s, options);
                                return passes[i].get();
                              },
                              read_tcp_all_netns, options.enter);
  const double duration = seconds_between(started, std::chrono::steady_clock::now());
  for (size_t i = 0; i < targets.size(); ++i) {
    Sample& s = *out[i];
    const NodeMemberReport& m = node.members[i];
    // Its facts and its own read, or (read by the walk) with the walk's time, which it shares.
    s.duration_s = m.seconds > 0 ? m.seconds : duration;
    if (!m.error.empty()) {
      s.error = m.error;
    } else {
      s.facts.source = m.read.source;
      s.note = m.read.note.empty() ? node.note
               : node.note.empty() ? m.read.note
                                   : node.note + "; " + m.read.note;
      try {
        finish_sample(s, options, i < previous.size() ? previous[i] : nullptr);
      } catch (const std::exception& e) {
        s.error = fmt::format("reading {} failed: {}", targets[i].label(), e.what());
      }
    }
    clear_failed(s);
  }
  set.node_source = node.source;
  set.one_walk = node.one_walk;
  set.node_note = node.note;
  return out;
}

SampleSummary summarize(const Sample& s) {
  SampleSummary sum;
  sum.taken = s.taken;
  sum.ok = s.ok();
  if (!sum.ok) return sum;
  sum.counters = s.facts.counters;
  if (s.facts.sockstat) sum.sockstat_tw = s.facts.sockstat->tw;
  if (!s.input.sockets) return sum;
  const Census& all = *s.input.sockets;
  sum.counts = all.counts();
  sum.fin_wait2_mini = all.fin_wait2_mini();
  sum.time_wait_rate_10s = all.time_wait_ages().rate(10);
  sum.time_wait_rate_60s = all.time_wait_ages().rate(60);
  return sum;
}

Sampler::Sampler(std::vector<SampleTarget> targets, SamplerOptions options, TakeSampleFn take,
                 TakeSetFn take_set)
    : targets_(std::move(targets)),
      options_(std::move(options)),
      take_(std::move(take)),
      take_set_(std::move(take_set)),
      history_(targets_.size()),
      first_(targets_.size()) {}

std::shared_ptr<const SampleSet> Sampler::latest() {
  std::unique_lock lock(mu_);
  if (taking_) {
    done_.wait(lock, [&] { return !taking_; });
    return current_;
  }
  if (current_ && std::chrono::steady_clock::now() - current_->taken < options_.min_interval)
    return current_;
  return take_locked(lock);
}

std::shared_ptr<const SampleSet> Sampler::refresh() {
  std::unique_lock lock(mu_);
  if (taking_) {
    // The census under way started after this call was made: it is fresh.
    done_.wait(lock, [&] { return !taking_; });
    return current_;
  }
  return take_locked(lock);
}

std::shared_ptr<const SampleSet> Sampler::take_locked(std::unique_lock<std::mutex>& lock) {
  taking_ = true;
  auto previous = current_;
  const uint64_t sequence = previous ? previous->sequence + 1 : 1;
  lock.unlock();

  auto set = std::make_shared<SampleSet>();
  set->sequence = sequence;
  set->taken = std::chrono::steady_clock::now();
  set->wall = std::chrono::system_clock::now();
  std::vector<std::unique_ptr<Sample>> taken;
  if (reads_node()) {
    std::vector<const Sample*> prev;
    for (size_t i = 0; i < targets_.size(); ++i)
      prev.push_back(previous ? previous->samples[i].get() : nullptr);
    try {
      taken = take_set_(targets_, options_, prev, *set);
    } catch (const std::exception& e) {
      set->node_note = fmt::format("reading the node failed: {}", e.what());
    }
  }
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (i < taken.size() && taken[i]) {
      set->samples.push_back(std::move(taken[i]));
      continue;
    }
    const Sample* prev = previous ? previous->samples[i].get() : nullptr;
    std::unique_ptr<Sample> s;
    try {
      s = take_(targets_[i], options_, prev);
    } catch (const std::exception& e) {
      s = std::make_unique<Sample>();
      s->target = targets_[i];
      s->taken = std::chrono::steady_clock::now();
      s->error = fmt::format("reading {} failed: {}", targets_[i].label(), e.what());
    }
    set->samples.push_back(std::move(s));
  }
  set->duration_s = seconds_between(set->taken, std::chrono::steady_clock::now());

  lock.lock();
  for (size_t i = 0; i < targets_.size(); ++i) {
    const Sample& s = *set->samples[i];
    if (!s.ok()) ++errors_;
    SampleSummary sum = summarize(s);
    if (options_.summary_counters)
      std::erase_if(sum.counters,
                    [&](const auto& c) { return !options_.summary_counters(c.first); });
    if (!first_[i] && sum.ok) first_[i] = sum;
    history_[i].push_back(std::move(sum));
    while (history_[i].size() > std::max<size_t>(options_.history, 1)) history_[i].pop_front();
  }
  ++sets_;
  current_ = std::move(set);
  taking_ = false;
  done_.notify_all();
  return current_;
}

bool Sampler::reads_node() const {
  if (!take_set_) return false;
  if (options_.node) return true;
  // Several live targets share one read too; a caller's own take (tests) is kept as given.
  using TakeFn =
      std::unique_ptr<Sample> (*)(const SampleTarget&, const SamplerOptions&, const Sample*);
  const TakeFn* fn = take_.target<TakeFn>();
  return targets_.size() > 1 && fn && *fn == &take_sample;
}

std::vector<SampleSummary> Sampler::history(size_t target) const {
  std::lock_guard lock(mu_);
  if (target >= history_.size()) return {};
  return {history_[target].begin(), history_[target].end()};
}

std::optional<SampleSummary> Sampler::first(size_t target) const {
  std::lock_guard lock(mu_);
  return target < first_.size() ? first_[target] : std::nullopt;
}

int64_t Sampler::errors_total() const {
  std::lock_guard lock(mu_);
  return errors_;
}

int64_t Sampler::sets_total() const {
  std::lock_guard lock(mu_);
  return sets_;
}

}  // namespace tw
