// SPDX-License-Identifier: Apache-2.0
#include "exporter/exporter.h"

namespace tw {

SampleTarget target_of(const NetnsRef& ref) {
  if (!ref.name.empty()) return SampleTarget{ref.name};
  if (ref.pid && !ref.self) return SampleTarget{"", ref.pid};
  return SampleTarget{};
}

Exporter::Exporter(ExporterConfig config) : config_(std::move(config)) {
  // Every namespace of the node in one read: one walk of the shared table where it can run.
  config_.sampler.node = config_.all_netns;
  if (!config_.all_netns)
    state_.sampler =
        std::make_shared<Sampler>(config_.targets, config_.sampler, config_.take, config_.take_set);
}

Exporter::State Exporter::current() {
  std::lock_guard lock(mu_);
  if (!config_.all_netns) return state_;
  const auto now = std::chrono::steady_clock::now();
  if (state_.sampler && now - discovered_ < config_.sampler.min_interval) return state_;
  discovered_ = now;
  auto found = config_.discover();
  if (!found) {
    // Keep reading the namespaces known so far; the failure shows in the errors counter.
    ++discovery_errors_;
    if (!state_.sampler)
      state_.sampler = std::make_shared<Sampler>(std::vector<SampleTarget>{SampleTarget{}},
                                                 config_.sampler, config_.take, config_.take_set);
    return state_;
  }
  std::vector<SampleTarget> targets;
  for (const auto& r : *found) targets.push_back(target_of(r));
  bool same = state_.sampler && state_.sampler->targets().size() == targets.size();
  for (size_t i = 0; same && i < targets.size(); ++i)
    same = state_.sampler->targets()[i].label() == targets[i].label() &&
           state_.refs[i].inode == (*found)[i].inode;
  if (!same) {
    if (state_.sampler) {
      errors_base_ += state_.sampler->errors_total();
      sets_base_ += state_.sampler->sets_total();
    }
    state_.sampler = std::make_shared<Sampler>(std::move(targets), config_.sampler, config_.take,
                                               config_.take_set);
  }
  if (config_.label) state_.labels = config_.label(*found);
  state_.refs = std::move(*found);
  return state_;
}

std::string Exporter::scrape() {
  ScrapeContext ctx;
  ctx.started = std::chrono::steady_clock::now();
  State st = current();
  auto set = st.sampler->latest();
  ctx.netns = std::move(st.refs);
  ctx.labels = std::move(st.labels);
  // From the sampler now current (and the bases of earlier ones): monotonic across
  // re-discoveries.
  ctx.errors_total = errors_total();
  ctx.censuses_total = censuses_total();
  // The process as client libraries report it; a read that fails leaves the families out.
  if (auto p = read_process_stats()) ctx.process = *p;
  return render_metrics(*set, config_.metrics, ctx);
}

int64_t Exporter::censuses_total() const {
  std::lock_guard lock(mu_);
  return sets_base_ + (state_.sampler ? state_.sampler->sets_total() : 0);
}

int64_t Exporter::errors_total() const {
  std::lock_guard lock(mu_);
  return errors_base_ + discovery_errors_ + (state_.sampler ? state_.sampler->errors_total() : 0);
}

}  // namespace tw
