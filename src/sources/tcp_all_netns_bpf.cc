// SPDX-License-Identifier: Apache-2.0
// read_tcp_all_netns: one hash walk (bpf/tcp_walk.bpf.c with cfg_all_netns) for every namespace on
// the calling thread's established table. The walk tags each record with its namespace's inode;
// what depends on a namespace's sysctls (whether tcp_tw_reuse could take a TIME_WAIT's port now)
// is decided here from the TIME_WAIT's age and that namespace's tcp_tw_reuse_delay.
#include <unistd.h>

#include <unordered_map>

#include "sources/tcp_iter.h"
#include "sources/tcp_walk_bpf.h"

namespace tw {

namespace {

// The caller's tcp_tw_reuse_delay by namespace, asked once per namespace and walk (records come
// in runs of one namespace; the caller's lookup may read a sysctl).
class ReuseDelays {
 public:
  explicit ReuseDelays(const std::function<uint32_t(uint64_t)>& lookup) : lookup_(lookup) {}
  uint32_t operator()(uint64_t netns) {
    if (netns == last_ && known_) return last_delay_;
    auto [it, added] = delays_.try_emplace(netns, kDefaultMs);
    if (added && lookup_) it->second = lookup_(netns);
    last_ = netns;
    last_delay_ = it->second;
    known_ = true;
    return last_delay_;
  }

 private:
  static constexpr uint32_t kDefaultMs = 1000;
  const std::function<uint32_t(uint64_t)>& lookup_;
  std::unordered_map<uint64_t, uint32_t> delays_;
  uint64_t last_ = 0;
  uint32_t last_delay_ = kDefaultMs;
  bool known_ = false;
};

}  // namespace

DumpResult read_tcp_all_netns(StateMask mask, const NetnsSocketSink& sink,
                              const AllNetnsOptions& options) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return bpf_walk::unavailable("bpf: this kernel has no BTF (/sys/kernel/btf/vmlinux)");
  keep_libbpf_messages();
  ReuseDelays delay(options.reuse_delay_ms);
  Socket s;
  DumpResult r =
      bpf_walk::run_walk({.mask = mask, .all_netns = true, .walkers = options.walkers},
                         [&](const tw_iter_sock* rec, uint32_t n) {
                           for (uint32_t i = 0; i < n; ++i) {
                             const tw_iter_sock& k = rec[i];
                             bpf_walk::fill_socket(k, &s);
                             if ((k.flags & TW_ITER_AGE) && s.state == TcpState::kTimeWait)
                               s.reuse = bpf_walk::reuse_from_age(k.age_ms, delay(k.netns));
                             sink(k.netns, s);
                           }
                         });
  if (r.failure == DumpFailure::kNone || r.failure == DumpFailure::kUnavailable) return r;
  // Stopped part way (a chain too long for the walk, a bucket that kept changing). The iterator
  // reads one namespace only: the caller reads namespace by namespace, once it has dropped what
  // this walk gave.
  if (!options.restart) return r;
  options.restart();
  return bpf_walk::unavailable(r.message + "; the one walk of every namespace stopped part way");
}

}  // namespace tw
