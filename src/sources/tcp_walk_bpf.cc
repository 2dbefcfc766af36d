// SPDX-License-Identifier: Apache-2.0
// The hash walk's runner (see tcp_walk_bpf.h): loads bpf/tcp_walk.bpf.c, splits the tables between
// walker threads and hands each batch over as it comes, keeping nothing.
#include "sources/tcp_walk_bpf.h"

#include <bpf/bpf.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "tcp_walk.skel.h"

namespace tw::bpf_walk {

namespace {

// Readings of one bucket whose chain keeps leading into another.
constexpr int kWalkTries = 4;

struct WalkCloser {
  tcp_walk_bpf* skel = nullptr;
  ~WalkCloser() { tcp_walk_bpf__destroy(skel); }
};

}  // namespace

int walkers(int asked) {
  if (asked > 0) return std::min(asked, TW_WALK_SLOTS);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::clamp(CPU_COUNT(&set), 1, TW_WALK_SLOTS);
}

DumpResult run_walk(const WalkConfig& config, const WalkBatch& batch, WalkStats* stats) {
  WalkCloser c;
  c.skel = tcp_walk_bpf__open();
  const bool all_netns = config.all_netns, net_cache = config.net_cache;
  if (auto failed = configure_and_load<tcp_walk_bpf>(
          c.skel, tcp_walk_bpf__load, all_netns ? "all-namespaces hash walk" : "hash walk",
          config.mask, config.reuse_delay_ms, [=](tcp_walk_bpf* s) {
            s->rodata->cfg_all_netns = all_netns;
            s->rodata->cfg_net_cache = net_cache;
          }))
    return *failed;
  const int prog = bpf_program__fd(c.skel->progs.walk_tcp);
  tw_walk_slot* slots = c.skel->bss->slots;
  auto run = [prog](uint32_t slot) {
    uint64_t args[1] = {slot};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof args);
    return bpf_prog_test_run_opts(prog, &opts) == 0 ? 0 : errno;
  };

  // The tables' sizes, from calls that walk nothing.
  uint32_t buckets[2];
  for (uint32_t table : {TW_WALK_LISTENING, TW_WALK_ESTABLISHED}) {
    slots[0].table = table;
    slots[0].first = slots[0].end = 0;
    if (int err = run(0)) return unavailable(libbpf_why("bpf: cannot run the hash walk", err));
    if (slots[0].status == TW_WALK_NO_TABLE)
      return unavailable("bpf: the hash walk found no TCP table in this namespace");
    buckets[table] = slots[0].buckets;
  }

  const int n = walkers(config.walkers);
  std::mutex m;  // guards `batch`, `result` and `stats`
  std::atomic<bool> stop{false};
  DumpResult result;
  auto failed = [&](DumpFailure f, std::string why) {
    std::lock_guard lock(m);
    if (result.failure == DumpFailure::kNone) result = {f, std::move(why), result.sockets};
    stop = true;
  };
  auto work = [&](uint32_t slot) {
    tw_walk_slot& o = slots[slot];
    uint32_t last_again = UINT32_MAX;
    int again = 0;
    for (uint32_t table : {TW_WALK_LISTENING, TW_WALK_ESTABLISHED}) {
      const uint64_t total = buckets[table];
      const auto lo = static_cast<uint32_t>(total * slot / n);
      const auto hi = static_cast<uint32_t>(total * (slot + 1) / n);
      for (uint32_t first = lo; first < hi && !stop;) {
        o.table = table;
        o.first = first;
        o.end = hi;
        if (int err = run(slot))
          return failed(DumpFailure::kError, libbpf_why("bpf: running the hash walk failed", err));
        {
          std::lock_guard lock(m);
          const uint32_t len = std::min<uint32_t>(o.len, TW_WALK_BATCH);
          if (len) batch(o.out, len);
          result.sockets += len;
          if (stats) stats->net_reads += o.net_reads;
        }
        if (o.status == TW_WALK_AGAIN) {
          // Read that bucket again, a few times at most: it changes only as fast as sockets
          // come and go on it.
          again = o.next == last_again ? again + 1 : 1;
          if (again > kWalkTries)
            return failed(DumpFailure::kInterrupted,
                          fmt::format("bpf: bucket {} kept changing while it was read", o.next));
          last_again = o.next;
          first = o.next;
          continue;
        }
        if (o.status == TW_WALK_UNSTABLE)
          return failed(DumpFailure::kInterrupted,
                        fmt::format("bpf: a socket of bucket {} could not be read", o.next));
        if (o.status != TW_WALK_OK)
          return failed(DumpFailure::kInterrupted,
                        fmt::format("bpf: bucket {} holds more sockets than a batch ({})", o.next,
                                    TW_WALK_BATCH));
        // A call that made no progress with an empty batch would loop forever.
        if (o.next <= first && o.len == 0)
          return failed(DumpFailure::kError,
                        fmt::format("bpf: the hash walk stopped at bucket {}", first));
        first = o.next;
      }
    }
  };
  std::vector<std::thread> threads;
  try {
    for (int slot = 1; slot < n; ++slot) threads.emplace_back(work, slot);
  } catch (const std::system_error& e) {
    // No thread to spare: the ranges of the walkers that did not start are not read.
    failed(DumpFailure::kError, fmt::format("bpf: cannot start a walker thread: {}", e.what()));
  }
  work(0);
  for (auto& t : threads) t.join();
  return result;
}

}  // namespace tw::bpf_walk
