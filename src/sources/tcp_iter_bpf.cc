// The libbpf reader of the socket-table iterator: loads bpf/tcp_iter.bpf.c (embedded by its
// skeleton), creates the iterator on this thread (so in its network namespace) and decodes the
// records as they are read, keeping nothing.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "bpf/tcp_iter_record.h"
#include "sources/libbpf_messages.h"
#include "sources/tcp_iter.h"
#include "tcp_iter.skel.h"

namespace tw {

namespace {

// A read of the iterator returns EAGAIN after a million objects with no output; each one means
// progress, so this bounds only a kernel that would never finish.
constexpr int kMaxAgainInARow = 10000;
constexpr size_t kReadBytes = 1 << 18;

struct Closer {
  tcp_iter_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  int fd = -1;
  ~Closer() {
    if (fd >= 0) close(fd);
    bpf_link__destroy(link);
    tcp_iter_bpf__destroy(skel);
  }
};

DumpResult unavailable(std::string why) { return {DumpFailure::kUnavailable, std::move(why), 0}; }

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

}  // namespace

bool tcp_iter_built() { return true; }

DumpResult read_tcp_iter(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return unavailable("bpf: this kernel has no BTF (/sys/kernel/btf/vmlinux)");
  keep_libbpf_messages();
  Closer c;
  c.skel = tcp_iter_bpf__open();
  if (!c.skel) return unavailable(libbpf_why("bpf: cannot open the iterator program", errno));
  c.skel->rodata->cfg_states = mask.bits;
  c.skel->rodata->cfg_reuse_delay_ms = options.reuse_delay_ms;
  if (int err = tcp_iter_bpf__load(c.skel))
    return unavailable(libbpf_why(
        err == -EPERM ? "bpf: loading the iterator needs CAP_BPF and CAP_PERFMON (run as root)"
                      : "bpf: the kernel refused the iterator program",
        err));
  if (!c.skel->kconfig->CONFIG_HZ)
    return unavailable(
        "bpf: the kernel's HZ is unknown (no /proc/config.gz or /boot/config-*), so TIME_WAIT "
        "ages cannot be read");
  c.link = bpf_program__attach_iter(c.skel->progs.dump_tcp, nullptr);
  if (!c.link) return unavailable(libbpf_why("bpf: cannot attach the iterator", errno));
  // The iterator's namespace is the creating thread's, fixed here.
  c.fd = bpf_iter_create(bpf_link__fd(c.link));
  if (c.fd < 0) return unavailable(libbpf_why("bpf: cannot create the iterator", errno));

  DumpResult result;
  std::vector<char> buf(kReadBytes + sizeof(tw_iter_sock));
  size_t have = 0;  // bytes of a record cut by the last read, kept at the front
  int again = 0;
  Socket s;
  for (;;) {
    ssize_t n = read(c.fd, buf.data() + have, kReadBytes);
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

}  // namespace tw
