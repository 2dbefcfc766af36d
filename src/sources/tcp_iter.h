// The `bpf` live source: the TCP socket table read by a BPF iterator (SEC("iter/tcp"), Linux 5.9;
// kernel side in bpf/tcp_iter.bpf.c). One fixed-size record per socket instead of an inet_diag
// message, in one walk of both families, and what only the kernel knows: whether tcp_tw_reuse
// could take a TIME_WAIT's port now (Socket::reuse). tcp_iter_bpf.cc is the libbpf reader,
// tcp_iter_nobpf.cc stands in when the binary was built without the BPF toolchain.
#pragma once

#include <cstdint>
#include <functional>

#include "model/socket.h"
#include "model/state_mask.h"
#include "sources/netlink_diag.h"

namespace tw {

// Whether this binary holds the iterator.
bool tcp_iter_built();

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

// Streams the sockets of the calling thread's network namespace whose state is in `mask` (the
// iterator walks the namespace of the thread that creates it: setns() first). FIN_WAIT2
// mini-sockets are reported as FIN_WAIT2 and request sockets as SYN_RECV, as inet_diag does.
// Failure kUnavailable: not built, no BTF, no permission, the kernel refused the program or its
// timers cannot be converted (HZ unknown): the caller may read the dump instead. A read that
// returns EAGAIN (the kernel stops after a million objects with nothing to show) is retried: the
// iterator goes on where it stopped.
DumpResult read_tcp_iter(StateMask mask, const SocketSink& sink,
                         const TcpIterOptions& options = {});

}  // namespace tw
