// SPDX-License-Identifier: Apache-2.0
// The libbpf readers of the `bpf` source for one namespace: the hash walk (bpf/tcp_walk.bpf.c, run
// by tcp_walk_bpf.cc) and the socket-table iterator (bpf/tcp_iter.bpf.c) where the walk cannot
// load. Both run in this thread's network namespace, write the same records and decode them as
// they come, keeping nothing.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf/tcp_iter_record.h"
#include "os/unique_fd.h"
#include "sources/libbpf_messages.h"
#include "sources/tcp_iter.h"
#include "sources/tcp_walk_bpf.h"
#include "tcp_iter.skel.h"

namespace tw {

namespace {

using bpf_walk::configure_and_load;
using bpf_walk::fill_socket;
using bpf_walk::unavailable;

// A read of the iterator returns EAGAIN after a million objects with no output; each one means
// progress, so this bounds only a kernel that would never finish.
constexpr int kMaxAgainInARow = 10000;
constexpr size_t kReadBytes = 1 << 18;

struct Closer {
  tcp_iter_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  os::UniqueFd fd;
  ~Closer() {
    fd.reset();
    bpf_link__destroy(link);
    tcp_iter_bpf__destroy(skel);
  }
};

// The hash walk of this thread's namespace.
DumpResult walk(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  Socket s;
  return bpf_walk::run_walk(
      {.mask = mask, .reuse_delay_ms = options.reuse_delay_ms, .walkers = options.walkers},
      [&](const tw_iter_sock* r, uint32_t n) {
        for (uint32_t i = 0; i < n; ++i) {
          fill_socket(r[i], &s);
          sink(s);
        }
      });
}

// The socket-table iterator.
DumpResult iterate(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  Closer c;
  c.skel = tcp_iter_bpf__open();
  if (auto failed = configure_and_load<tcp_iter_bpf>(c.skel, tcp_iter_bpf__load, "iterator", mask,
                                                     options.reuse_delay_ms))
    return *failed;
  c.link = bpf_program__attach_iter(c.skel->progs.dump_tcp, nullptr);
  if (!c.link) return unavailable(libbpf_why("bpf: cannot attach the iterator", errno));
  // The iterator's namespace is the creating thread's, fixed here.
  c.fd.reset(bpf_iter_create(bpf_link__fd(c.link)));
  if (!c.fd) return unavailable(libbpf_why("bpf: cannot create the iterator", errno));

  DumpResult result;
  std::vector<char> buf(kReadBytes + sizeof(tw_iter_sock));
  size_t have = 0;  // bytes of a record cut by the last read, kept at the front
  int again = 0;
  Socket s;
  for (;;) {
    ssize_t n = read(c.fd.get(), buf.data() + have, kReadBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && ++again <= kMaxAgainInARow) continue;
    if (n < 0)
      return {DumpFailure::kError,
              fmt::format("bpf: reading the iterator failed: {}", std::strerror(errno)),
              result.sockets};
    again = 0;
    if (n == 0) break;
    have += static_cast<size_t>(n);
    size_t off = 0;
    for (; off + sizeof(tw_iter_sock) <= have; off += sizeof(tw_iter_sock)) {
      tw_iter_sock r;
      std::memcpy(&r, buf.data() + off, sizeof r);
      fill_socket(r, &s);
      sink(s);
      ++result.sockets;
    }
    have -= off;
    if (have) std::memmove(buf.data(), buf.data() + off, have);
  }
  // Every record the program wrote arrived whole: anything else would be a wrong count.
  const uint64_t written = c.skel->bss->written;
  if (have || written != static_cast<uint64_t>(result.sockets))
    return {DumpFailure::kError,
            fmt::format("bpf: the iterator wrote {} sockets but {} arrived{}", written,
                        result.sockets, have ? " (a record was cut)" : ""),
            result.sockets};
  return result;
}

}  // namespace

bool tcp_iter_built() { return true; }

int bpf_walkers() { return bpf_walk::walkers(0); }

DumpResult read_tcp_iter(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return unavailable("bpf: this kernel has no BTF (/sys/kernel/btf/vmlinux)");
  keep_libbpf_messages();
  if (options.reader == BpfReader::kIterator) return iterate(mask, sink, options);
  DumpResult r = walk(mask, sink, options);
  if (r.failure == DumpFailure::kNone || options.reader == BpfReader::kWalk) return r;
  if (r.failure != DumpFailure::kUnavailable) {
    if (!options.restart) return r;
    options.restart();
  }
  DumpResult it = iterate(mask, sink, options);
  if (it.failure == DumpFailure::kUnavailable) it.message = r.message + "; " + it.message;
  return it;
}

}  // namespace tw
