// SPDX-License-Identifier: Apache-2.0
// The `bpf` live source: the TCP socket table read in the kernel by a BPF program, in one walk of
// both families, one fixed-size record per socket instead of an inet_diag message, with what only
// the kernel knows: whether tcp_tw_reuse could take a TIME_WAIT's port now (Socket::reuse).
// Two kernel readers: the hash walk (bpf/tcp_walk.bpf.c: the namespace's hash tables walked
// under RCU by a raw_tp program run with BPF_PROG_TEST_RUN, split between CPUs), and the
// socket-table iterator (bpf/tcp_iter.bpf.c, SEC("iter/tcp"), Linux 5.9) where the walk cannot
// run (it needs bpf_loop, 5.17, and the per-namespace table pointer, 6.1) or stops part way.
// tcp_iter_bpf.cc is the libbpf reader, tcp_iter_nobpf.cc stands in when the binary was built
// without the BPF toolchain.
#pragma once

#include <cstdint>
#include <functional>

#include "model/socket.h"
#include "model/state_mask.h"
#include "sources/netlink_diag.h"

namespace tw {

// Whether this binary holds the bpf source.
bool tcp_iter_built();

// Walkers the hash walk runs by default: the CPUs this process may use, at most 4 (1 when not
// built).
int bpf_walkers();

// Which kernel reader the `bpf` source uses: the hash walk, or the iterator where it cannot run
// (kAuto); one alone (for benchmarks and tests).
enum class BpfReader { kAuto, kWalk, kIterator };

struct TcpIterOptions {
  // tcp_tw_reuse_delay of the namespace in milliseconds (1000 where the sysctl does not exist:
  // the one-second rule of kernels before 6.14).
  uint32_t reuse_delay_ms = 1000;
  BpfReader reader = BpfReader::kAuto;
  // Concurrent walkers of the hash walk (each on its own CPU); 0: the CPUs this process may use,
  // at most 4.
  int walkers = 0;
  // Called before the source starts over, when the hash walk stopped part way (a bucket that
  // kept changing or too long a chain) and the iterator reads instead: whatever the sink was
  // given must then be dropped. Without it, that walk's failure (kInterrupted) is returned.
  std::function<void()> restart;
};

// Streams the sockets of the calling thread's network namespace whose state is in `mask` (both
// readers walk the namespace of the calling thread: setns() first; the walk's threads are made
// by it). FIN_WAIT2 mini-sockets are reported as FIN_WAIT2 and request sockets as SYN_RECV, as
// inet_diag does. The sink is called by one thread at a time, not always the caller's. Failure
// kUnavailable (nothing handed to the sink): not built, no BTF, no permission, the kernel refused
// both programs or their timers cannot be converted (HZ unknown): the caller may read the dump
// instead. kInterrupted: the walk stopped part way and no `restart` was given. The iterator's
// read() that returns EAGAIN (the kernel stops after a million objects with nothing to show) is
// retried: the iterator goes on where it stopped.
DumpResult read_tcp_iter(StateMask mask, const SocketSink& sink,
                         const TcpIterOptions& options = {});

// One walk for a whole node (`--all-netns`): the sockets of every network namespace whose
// established hash table is the calling thread's (the host's table, which every namespace shares
// unless it was made with net.ipv4.tcp_child_ehash_entries set: its net.ipv4.tcp_ehash_entries
// then reads positive), each handed to the sink with its namespace's nsfs inode
// (/proc/PID/ns/net's st_ino). Listening sockets are reported for the same namespaces only, so a
// namespace with its own table is read apart (read_tcp_iter in it) and never counted twice.
// Same states, records, threading and failures as read_tcp_iter; `restart` drops what every
// namespace was given. The iterator reads one namespace only, so where the walk stops part way (a
// chain too long, a bucket that kept changing) there is nothing to start over with: `restart` is
// called and the failure is kUnavailable (the caller reads namespace by namespace); without
// `restart` it is kInterrupted. Socket::reuse is decided with the TIME_WAIT's namespace's delay.
using NetnsSocketSink = std::function<void(uint64_t netns_inode, const Socket&)>;
struct AllNetnsOptions {
  // tcp_tw_reuse_delay in milliseconds of a namespace (by inode), for Socket::reuse; null or a
  // namespace it does not know: 1000.
  std::function<uint32_t(uint64_t netns_inode)> reuse_delay_ms;
  int walkers = 0;  // as TcpIterOptions::walkers
  std::function<void()> restart;
};
DumpResult read_tcp_all_netns(StateMask mask, const NetnsSocketSink& sink,
                              const AllNetnsOptions& options = {});

}  // namespace tw
