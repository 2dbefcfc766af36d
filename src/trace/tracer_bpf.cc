// SPDX-License-Identifier: Apache-2.0
// The libbpf tracer: the kernel side (src/bpf/trace.bpf.c) is compiled at build time and embedded
// in this binary by its skeleton (trace.skel.h, bpftool gen skeleton), so timewait stays one file.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sources/libbpf_messages.h"
#include "trace.skel.h"
#include "trace/tracer.h"

namespace tw {

namespace {

// libbpf's messages are kept for the one-line errors (sources/libbpf_messages.h).
std::string why(const char* what, int err) { return libbpf_why(what, err); }

class BpfTracer final : public Tracer {
 public:
  ~BpfTracer() override {
    ring_buffer__free(rb_);
    trace_bpf__destroy(skel_);
  }

  static Result<std::unique_ptr<Tracer>> open(const TracerOptions& o) {
    keep_libbpf_messages();
    auto t = std::unique_ptr<BpfTracer>(new BpfTracer);
    t->skel_ = trace_bpf__open();
    if (!t->skel_) return fail(why("cannot open the BPF program", errno));
    auto* ro = t->skel_->rodata;
    ro->cfg_netns = o.filter.netns_inode;
    ro->cfg_pid = static_cast<uint32_t>(o.filter.pid);
    if (!o.filter.comm.empty()) {
      ro->cfg_has_comm = 1;
      std::memcpy(const_cast<char*>(ro->cfg_comm), o.filter.comm.data(),
                  std::min<size_t>(o.filter.comm.size(), TW_COMM_LEN - 1));
    }
    ro->cfg_dport = o.filter.dport;
    ro->cfg_states = o.filter.states.is_all() ? 0 : o.filter.states.bits;
    ro->cfg_summary = o.summary;
    ro->cfg_pod_filter = o.filter.pod_only;
    if (o.summary) {
      // Nothing is streamed: a one-page ring keeps the map small.
      bpf_map__set_max_entries(t->skel_->maps.events, 4096);
    }
    if (int err = trace_bpf__load(t->skel_))
      return fail(why("the kernel refused the BPF program", err));
    // The pod's cgroups and processes, before the first event can be filtered by them.
    const uint8_t yes = 1;
    for (uint64_t id : o.filter.pod_cgroups)
      if (bpf_map_update_elem(bpf_map__fd(t->skel_->maps.pod_cgroups), &id, &yes, BPF_ANY))
        return fail(why("cannot fill the pod's cgroup filter", errno));
    for (int pid : o.filter.pod_pids) {
      uint32_t p = static_cast<uint32_t>(pid);
      if (bpf_map_update_elem(bpf_map__fd(t->skel_->maps.pod_pids), &p, &yes, BPF_ANY))
        return fail(why("cannot fill the pod's process filter", errno));
    }
    if (int err = trace_bpf__attach(t->skel_))
      return fail(why("cannot attach to the tracepoints", err));
    if (!o.summary) {
      t->rb_ = ring_buffer__new(bpf_map__fd(t->skel_->maps.events), on_sample, t.get(), nullptr);
      if (!t->rb_) return fail(why("cannot open the ring buffer", errno));
    }
    return std::unique_ptr<Tracer>(std::move(t));
  }

  Status poll(int timeout_ms, const std::function<void(const TraceEvent&)>& sink) override {
    if (!rb_) return {};
    sink_ = &sink;
    int n = ring_buffer__poll(rb_, timeout_ms);
    // The kernel side wakes us only per batch: read what came without a wake-up too.
    if (n >= 0 || n == -EINTR) n = ring_buffer__consume(rb_);
    sink_ = nullptr;
    if (n < 0 && n != -EINTR) return fail(why("reading the ring buffer failed", n));
    return {};
  }

  Result<TraceSummary> summary(double seconds) override {
    SummaryBuilder b;
    int flows = bpf_map__fd(skel_->maps.flows);
    tw_flow_key key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(flows, prev, &next) == 0) {
      tw_flow_counts c{};
      if (bpf_map_lookup_elem(flows, &next, &c) == 0) b.add_flow(next, c);
      key = next;
      prev = &key;
    }
    int fails = bpf_map__fd(skel_->maps.fails);
    tw_fail_key fkey{}, fnext{};
    prev = nullptr;
    while (bpf_map_get_next_key(fails, prev, &fnext) == 0) {
      uint64_t n = 0;
      if (bpf_map_lookup_elem(fails, &fnext, &n) == 0) b.add_failure(fnext, n);
      fkey = fnext;
      prev = &fkey;
    }
    auto l = lost();
    if (!l) return fail(l.error());
    return b.finish(seconds, *l);
  }

  Result<TraceLoss> lost() override {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return fail(why("cannot count the CPUs", cpus));
    std::vector<uint64_t> per_cpu(cpus);
    uint64_t sums[TW_STAT_COUNT] = {};
    for (uint32_t i = 0; i < TW_STAT_COUNT; i++) {
      if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stats), &i, per_cpu.data()) != 0)
        return fail(why("cannot read the loss counters", errno));
      for (uint64_t v : per_cpu) sums[i] += v;
    }
    return TraceLoss{sums[TW_STAT_LOST_EVENTS], sums[TW_STAT_LOST_KEYS],
                     sums[TW_STAT_LOST_SOCKETS]};
  }

 private:
  BpfTracer() = default;

  static int on_sample(void* ctx, void* data, size_t size) {
    auto* self = static_cast<BpfTracer*>(ctx);
    if (size < sizeof(tw_event) || !self->sink_) return 0;
    tw_event raw;
    std::memcpy(&raw, data, sizeof raw);
    (*self->sink_)(decode_event(raw));
    return 0;
  }

  trace_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  const std::function<void(const TraceEvent&)>* sink_ = nullptr;
};

}  // namespace

bool tracer_built() { return true; }

Result<std::unique_ptr<Tracer>> Tracer::open(const TracerOptions& options) {
  return BpfTracer::open(options);
}

}  // namespace tw
