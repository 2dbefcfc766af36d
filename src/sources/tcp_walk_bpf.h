// SPDX-License-Identifier: Apache-2.0
// Inside the `bpf` source (only *_bpf.cc include this): the hash walk's runner (bpf/tcp_walk.bpf.c
// run batch by batch with BPF_PROG_TEST_RUN, split between walker threads), the decoding of its
// records, and what loading either program shares. read_tcp_iter (tcp_iter_bpf.cc) runs it for the
// calling thread's namespace, read_tcp_all_netns (tcp_all_netns_bpf.cc) for every namespace on its
// table.
#pragma once

#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "bpf/tcp_iter_record.h"
#include "sources/libbpf_messages.h"
#include "sources/tcp_iter.h"

namespace tw::bpf_walk {

inline DumpResult unavailable(std::string why) {
  return {DumpFailure::kUnavailable, std::move(why), 0};
}

// A record as a Socket; `reuse` from the kernel's flags (a record with TW_ITER_AGE is decided by
// the caller, who knows the namespace's delay: see reuse_from_age).
inline void fill_socket(const tw_iter_sock& r, Socket* s) {
  s->state = static_cast<TcpState>(r.state);
  s->local.addr.family = r.family;
  s->remote.addr.family = r.family;
  std::memcpy(s->local.addr.bytes.data(), r.laddr, 16);
  std::memcpy(s->remote.addr.bytes.data(), r.raddr, 16);
  s->local.port = r.lport;
  s->remote.port = r.rport;
  s->mini = r.flags & TW_ITER_MINI;
  s->timer_ms = r.timer_ms;
  s->uid = r.uid;
  s->inode = r.inode;
  s->reuse = s->state != TcpState::kTimeWait ? TwReuse::kUnknown
             : !(r.flags & TW_ITER_TS)       ? TwReuse::kNoTimestamps
             : (r.flags & TW_ITER_REUSABLE)  ? TwReuse::kReusable
                                             : TwReuse::kNotYet;
}

// tcp_twsk_unique (6.14+): reusable once time_after32(now, tw_entry_stamp + delay), that is once
// the TIME_WAIT is older than the delay.
inline TwReuse reuse_from_age(int32_t age_ms, uint32_t delay_ms) {
  return static_cast<int32_t>(delay_ms - static_cast<uint32_t>(age_ms)) < 0 ? TwReuse::kReusable
                                                                            : TwReuse::kNotYet;
}

// Sets what both programs are told before load (states, reuse delay; `extra` for the rest) and
// loads `skel` (just opened: null if that failed); the failure, or nothing when it is ready.
template <class Skel>
std::optional<DumpResult> configure_and_load(Skel* skel, int (*load)(Skel*), const char* what,
                                             StateMask mask, uint32_t reuse_delay_ms,
                                             const std::function<void(Skel*)>& extra = {}) {
  if (!skel)
    return unavailable(
        libbpf_why(fmt::format("bpf: cannot open the {} program", what).c_str(), errno));
  skel->rodata->cfg_states = mask.bits;
  skel->rodata->cfg_reuse_delay_ms = reuse_delay_ms;
  if (extra) extra(skel);
  if (int err = load(skel))
    return unavailable(libbpf_why(
        (err == -EPERM
             ? fmt::format("bpf: loading the {} needs CAP_BPF and CAP_PERFMON (run as root)", what)
             : fmt::format("bpf: the kernel refused the {} program", what))
            .c_str(),
        err));
  if (!skel->kconfig->CONFIG_HZ)
    return unavailable(
        "bpf: the kernel's HZ is unknown (no /proc/config.gz or /boot/config-*), so TIME_WAIT "
        "ages cannot be read");
  return std::nullopt;
}

// Walkers the hash walk may run at once: `asked`, or the CPUs this process may use; at most the
// slots.
int walkers(int asked);

struct WalkConfig {
  StateMask mask;
  uint32_t reuse_delay_ms = 1000;
  bool all_netns = false;
  int walkers = 0;
  bool net_cache = true;  // false: the all-netns walk reads every socket's namespace (benchmarks)
};

// What a walk did besides its records: namespaces the all-netns walk read (its cache's misses).
struct WalkStats {
  uint64_t net_reads = 0;
};

// The hash walk: each table split into one range per walker, each walker on its own thread (a
// thread made here shares the caller's network namespace), each batch handed to `batch` whole,
// one at a time. Unavailable (nothing handed over) when the program does not load or run here;
// interrupted when a bucket kept changing or was too long for a batch.
using WalkBatch = std::function<void(const tw_iter_sock* records, uint32_t n)>;
DumpResult run_walk(const WalkConfig& config, const WalkBatch& batch, WalkStats* stats = nullptr);

}  // namespace tw::bpf_walk
