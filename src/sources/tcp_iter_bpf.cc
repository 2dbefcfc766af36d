// SPDX-License-Identifier: Apache-2.0
// The libbpf readers of the `bpf` source: the hash walk (bpf/tcp_walk.bpf.c, run batch by batch
// with BPF_PROG_TEST_RUN) and the socket-table iterator (bpf/tcp_iter.bpf.c) where the walk
// cannot load. Both run in this thread's network namespace, write the same records and decode
// them as they come, keeping nothing.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "bpf/tcp_iter_record.h"
#include "os/unique_fd.h"
#include "sources/libbpf_messages.h"
#include "sources/tcp_iter.h"
#include "tcp_iter.skel.h"
#include "tcp_walk.skel.h"

namespace tw {

namespace {

// A read of the iterator returns EAGAIN after a million objects with no output; each one means
// progress, so this bounds only a kernel that would never finish.
constexpr int kMaxAgainInARow = 10000;
constexpr size_t kReadBytes = 1 << 18;
// Readings of one bucket of the hash walk whose chain keeps leading into another.
constexpr int kWalkTries = 4;

struct WalkCloser {
  tcp_walk_bpf* skel = nullptr;
  ~WalkCloser() { tcp_walk_bpf__destroy(skel); }
};

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

// Sets what both programs are told before load (states, reuse delay) and loads `skel` (just
// opened: null if that failed); the failure, or nothing when it is ready.
template <class Skel>
std::optional<DumpResult> configure_and_load(Skel* skel, int (*load)(Skel*), const char* what,
                                             StateMask mask, const TcpIterOptions& options) {
  if (!skel)
    return unavailable(
        libbpf_why(fmt::format("bpf: cannot open the {} program", what).c_str(), errno));
  skel->rodata->cfg_states = mask.bits;
  skel->rodata->cfg_reuse_delay_ms = options.reuse_delay_ms;
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

// Walkers the hash walk may run at once: the CPUs this process may use, at most the slots.
int walkers(int asked) {
  if (asked > 0) return std::min(asked, TW_WALK_SLOTS);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::clamp(CPU_COUNT(&set), 1, TW_WALK_SLOTS);
}

// The hash walk: each table split into one range per walker, each walker on its own thread (a
// thread made here shares this one's network namespace), batches handed to the sink one at a
// time. Unavailable (nothing handed to the sink) when the program does not load or run here;
// interrupted when a bucket kept changing or was too long for a batch.
DumpResult walk(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  WalkCloser c;
  c.skel = tcp_walk_bpf__open();
  if (auto failed = configure_and_load(c.skel, tcp_walk_bpf__load, "hash walk", mask, options))
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

  const int n = walkers(options.walkers);
  std::mutex m;  // guards the sink and `result`
  std::atomic<bool> stop{false};
  DumpResult result;
  auto failed = [&](DumpFailure f, std::string why) {
    std::lock_guard lock(m);
    if (result.failure == DumpFailure::kNone) result = {f, std::move(why), result.sockets};
    stop = true;
  };
  auto work = [&](uint32_t slot) {
    tw_walk_slot& o = slots[slot];
    Socket s;
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
          for (uint32_t i = 0; i < len; ++i) {
            fill_socket(o.out[i], &s);
            sink(s);
          }
          result.sockets += len;
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

// The socket-table iterator.
DumpResult iterate(StateMask mask, const SocketSink& sink, const TcpIterOptions& options) {
  Closer c;
  c.skel = tcp_iter_bpf__open();
  if (auto failed = configure_and_load(c.skel, tcp_iter_bpf__load, "iterator", mask, options))
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

int bpf_walkers() { return walkers(0); }

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

// TODO(#27, w-walk): the one walk of the shared table for every namespace. Until it lands the
// caller falls back to one read per namespace.
DumpResult read_tcp_all_netns(StateMask, const NetnsSocketSink&, const AllNetnsOptions&) {
  return unavailable("bpf: the one walk of every namespace is not written yet");
}

}  // namespace tw
