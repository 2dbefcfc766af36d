// SPDX-License-Identifier: Apache-2.0
// `--all-netns` (issue 27): one walk of the shared TCP table for every namespace, against what
// it replaces, measured in the same run (wall and CPU seconds, user + system of all threads, min
// of REPS; `make bench` runs it with the rest, or by hand as root: bench/all_netns [REPS]).
//
//   A: 100 namespaces, ~1.1M sockets: BIG holds 200,000 ESTABLISHED connections (400,000
//      sockets) and up to 700,000 TIME_WAIT (bench/tw_factory, what it makes in 40 s), the 99
//      others 1,000 ESTABLISHED connections each (2,000 sockets) and a listener.
//   B: 1,000 namespaces of 500 ESTABLISHED connections (1,000 sockets) and a listener each.
//
// Rows: the one walk (read_tcp_all_netns, sockets counted per namespace as a census groups them);
// one read of BIG alone (the hash walk entered in it, and the inet_diag dump: what `census --netns
// BIG` reads); one read per namespace (the hash walk, and the dump, entered in each), over as
// many namespaces as a time budget allows and scaled to all of them when it stops early (said).
// Every per-namespace count of the one walk is checked against the reads entered in each
// namespace. The one walk's peak RSS is read in a fresh process (this one holds a million
// descriptors) for A and B: flat in namespaces and sockets is the target.
// `all_netns --node-run CMD` builds A and runs CMD beside it (bench/exporter_node_cpu.sh).
//
// Small namespaces are made and held by child processes (see make_smalls): when this process
// ends, however it ends, they are gone. BIG is a named namespace (tw_factory enters
// it by name), deleted at the end. TIME_WAIT lasts 60 s: BIG's reads come first, and the counts
// say when some expired meanwhile. Bounded: about 4 minutes.
#include <fcntl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "os/netns.h"
#include "sources/netlink_diag.h"
#include "sources/tcp_iter.h"
#ifdef TIMEWAIT_BENCH_BPF
#include "sources/tcp_walk_bpf.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;

// What die() must undo: BIG's factory and name (the small namespaces go with this process).
pid_t g_factory = 0;
std::string g_big;
std::vector<pid_t> g_holders;  // the processes holding the small namespaces

void kill_holders() {
  for (pid_t pid : g_holders) kill(pid, SIGKILL);
  for (pid_t pid : g_holders) waitpid(pid, nullptr, 0);
  g_holders.clear();
}

// SIGINT, SIGTERM: what die() does, with async-signal-safe calls only (`ip netns del` is this
// umount and unlink).
char g_big_path[128];
void on_signal(int) {
  if (g_factory > 0) kill(g_factory, SIGTERM);
  for (pid_t pid : g_holders) kill(pid, SIGKILL);
  if (g_big_path[0]) {
    umount2(g_big_path, MNT_DETACH);
    unlink(g_big_path);
  }
  _exit(130);
}

[[noreturn]] void die(const std::string& what) {
  fmt::print(stderr, "all_netns: {}\n", what);
  if (g_factory > 0) {
    kill(g_factory, SIGTERM);
    waitpid(g_factory, nullptr, 0);
  }
  if (!g_big.empty()) (void)tw::os::run_command("ip netns del " + g_big);
  kill_holders();
  std::exit(1);
}

double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct Time {
  double wall = std::numeric_limits<double>::max(), cpu = std::numeric_limits<double>::max();
  void take(double w, double c) {
    wall = std::min(wall, w);
    cpu = std::min(cpu, c);
  }
};

template <class F>
std::pair<double, double> timed(F&& f) {
  const double c0 = cpu_seconds();
  const auto w0 = Clock::now();
  f();
  return {std::chrono::duration<double>(Clock::now() - w0).count(), cpu_seconds() - c0};
}

uint64_t inode_of_fd(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) die("fstat of a namespace");
  return st.st_ino;
}

// A namespace this process holds: its nsfs descriptor and its sockets' descriptors.
struct Ns {
  int fd = -1;
  uint64_t inode = 0;
  std::vector<int> fds;
  std::string name;  // BIG only
};

void check(bool ok, const char* what) {
  if (!ok) die(fmt::format("{}: {}", what, std::strerror(errno)));
}

// Up to 20,000 descriptors a process here (RLIMIT_NOFILE's hard limit; no CAP_SYS_RESOURCE to
// raise it), so the small namespaces are made and held by child processes, each making as many
// as its descriptors allow: a namespace of its own (unshare), the loopback up, a listener and
// `pairs` ESTABLISHED connections, both ends held (or groups of them in one namespace: BIG) (idle
// sockets: no TCP memory is charged, unlike sockets holding a segment, which would press on the
// host's tcp_mem). The child sends the descriptor numbers of its namespaces through a pipe, then
// waits to be killed (or for this process to end: PR_SET_PDEATHSIG); this process opens them by
// /proc/PID/fd/N.

[[noreturn]] void hold_namespaces(int out, int count, int pairs, int join) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  g_holders.clear();  // its siblings are not its to kill, nor BIG its to delete
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (join >= 0) check(setns(join, CLONE_NEWNET) == 0, "setns");
  for (int k = 0; k < count; ++k) {
    if (join < 0) check(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET)");
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    check(s >= 0, "socket");
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    check(ioctl(s, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP;
    check(ioctl(s, SIOCSIFFLAGS, &ifr) == 0, "SIOCSIFFLAGS lo");
    close(s);
    // In BIG, away from 127.0.0.1, where tw_factory binds its listeners afterwards.
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(join < 0 ? 0x7f000001 : 0x7f000003);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000002);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    check(l >= 0 && bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(l, 64) == 0,
          "listen");
    socklen_t len = sizeof a;
    check(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0, "getsockname");
    for (int i = 0; i < pairs; ++i) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      check(c >= 0, "socket");
      if (join >= 0) {
        int one = 1;
        check(setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) == 0 &&
                  bind(c, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0,
              "bind 127.0.0.2");
      }
      check(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "connect");
      check(accept(l, nullptr, nullptr) >= 0, "accept");
    }
    int ns = open("/proc/self/ns/net", O_RDONLY);
    check(ns >= 0 && write(out, &ns, sizeof ns) == sizeof ns, "open and send the namespace");
  }
  close(out);
  for (;;) pause();
}

// n namespaces of `pairs` connections each into `all`; or, with `join` (a namespace's
// descriptor), n groups of `pairs` connections in that namespace (`all` then gets n copies of it,
// which the caller drops).
void make_smalls(std::vector<Ns>* all, int n, int pairs, int join = -1) {
  const int per_holder = std::max(1, 19000 / (2 * pairs + 2));
  std::vector<std::pair<pid_t, int>> holders;  // pid, read end
  for (int made = 0; made < n; made += per_holder) {
    int p[2];
    check(pipe2(p, O_CLOEXEC) == 0, "pipe");
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
      close(p[0]);
      hold_namespaces(p[1], std::min(per_holder, n - made), pairs, join);
    }
    close(p[1]);
    g_holders.push_back(pid);
    holders.emplace_back(pid, p[0]);
  }
  for (auto [pid, in] : holders) {
    int fd;
    while (read(in, &fd, sizeof fd) == sizeof fd) {
      Ns ns;
      ns.fd = open(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), O_RDONLY | O_CLOEXEC);
      check(ns.fd >= 0, "open a holder's namespace");
      ns.inode = inode_of_fd(ns.fd);
      all->push_back(std::move(ns));
    }
    close(in);
  }
  if (static_cast<int>(all->size()) < n) die("a holder of namespaces failed");
}

void release(std::vector<Ns>* all) {
  kill_holders();
  for (Ns& ns : *all) {
    for (int fd : ns.fds) close(fd);
    if (ns.fd >= 0) close(ns.fd);
  }
  all->clear();
}

// Runs f with the calling thread in ns.
template <class F>
auto in(const Ns& ns, F&& f) {
  const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  check(home >= 0 && setns(ns.fd, CLONE_NEWNET) == 0, "setns");
  auto r = f();
  check(setns(home, CLONE_NEWNET) == 0, "setns back");
  close(home);
  return r;
}

using Counts = std::unordered_map<uint64_t, int64_t>;

Counts one_walk(tw::StateMask mask = tw::StateMask::all()) {
  Counts c;
  uint64_t last = 0;
  int64_t* at = nullptr;
  tw::DumpResult r = tw::read_tcp_all_netns(mask, [&](uint64_t ino, const tw::Socket&) {
    if (ino != last || !at) {
      at = &c[ino];
      last = ino;
    }
    ++*at;
  });
  if (r.failure != tw::DumpFailure::kNone) die("the one walk: " + r.message);
  return c;
}

int64_t walk_here() {
  tw::DumpResult r = tw::read_tcp_iter(tw::StateMask::all(), [](const tw::Socket&) {},
                                       {.reader = tw::BpfReader::kWalk});
  if (r.failure != tw::DumpFailure::kNone) die("the hash walk: " + r.message);
  return r.sockets;
}

int64_t dump_here() {
  tw::DumpResult r = tw::dump_inet_diag(tw::StateMask::all(), [](const tw::Socket&) {});
  if (r.failure != tw::DumpFailure::kNone) die("the dump: " + r.message);
  return r.sockets;
}

// The one walk's peak RSS (KiB), in a fresh process: this one's memory (descriptors, tables)
// would be counted in a fork.
long probe_rss() {
  std::string cmd =
      fmt::format("{} --probe-rss", std::filesystem::read_symlink("/proc/self/exe").string());
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) die("cannot run " + cmd);
  long kib = -1;
  if (fscanf(f, "%ld", &kib) != 1) kib = -1;
  if (pclose(f) != 0 || kib < 0) die(cmd + " failed");
  return kib;
}

struct Row {
  std::string name;
  Time t;
  std::string note;
};

#ifdef TIMEWAIT_BENCH_BPF
// The one walk's records counted, not decoded (what the kernel side costs), with and without
// its namespace cache; the note says how many namespaces a walk read.
Row raw_walk(bool cache, int reps) {
  Row row{cache ? "  the same, records only counted" : "  the same, no namespace cache", {}, ""};
  tw::bpf_walk::WalkStats stats;
  int64_t recs = 0;
  for (int r = 0; r < reps; ++r) {
    stats = {};
    recs = 0;
    auto [w, c] = timed([&] {
      tw::DumpResult d = tw::bpf_walk::run_walk(
          {.mask = tw::StateMask::all(), .all_netns = true, .net_cache = cache},
          [&](const tw_iter_sock*, uint32_t n) { recs += n; }, &stats);
      if (d.failure != tw::DumpFailure::kNone) die("the raw walk: " + d.message);
    });
    row.t.take(w, c);
  }
  row.note = fmt::format("{} namespaces read for {} sockets", stats.net_reads, recs);
  return row;
}
#else
Row raw_walk(bool, int) { die("built without BPF"); }
#endif

void print(const std::string& title, const std::vector<Row>& rows, int reps) {
  fmt::print("\n{}\n{:<52} {:>9} {:>9}  {}\n", title, fmt::format("min of {}", reps), "wall s",
             "cpu s", "");
  for (const Row& r : rows)
    fmt::print("{:<52} {:>9.4f} {:>9.4f}  {}\n", r.name, r.t.wall, r.t.cpu, r.note);
}

// One read per namespace, each entered, until `budget` seconds (then scaled to all of them).
Row each(const std::string& name, const std::vector<Ns>& all, double budget,
         const std::function<int64_t()>& read, Counts* counts) {
  Row row{name, {}, ""};
  double wall = 0, cpu = 0;
  size_t done = 0;
  for (const Ns& ns : all) {
    int64_t n = 0;
    auto [w, c] = timed([&] { n = in(ns, read); });
    (*counts)[ns.inode] = n;
    wall += w;
    cpu += c;
    ++done;
    if (wall > budget) break;
  }
  const double scale = static_cast<double>(all.size()) / done;
  row.t.take(wall * scale, cpu * scale);
  if (done < all.size())
    row.note = fmt::format("{} of {} namespaces read, scaled", done, all.size());
  return row;
}

// Per-namespace counts of the one walk against those read in each namespace.
std::string compare(const Counts& walk, const Counts& apart, const std::vector<Ns>& all) {
  size_t same = 0, checked = 0;
  std::string first;
  for (const Ns& ns : all) {
    auto a = apart.find(ns.inode);
    if (a == apart.end()) continue;
    ++checked;
    auto w = walk.find(ns.inode);
    const int64_t got = w == walk.end() ? 0 : w->second;
    if (got == a->second)
      ++same;
    else if (first.empty())
      first = fmt::format(" (first: inode {} walk {} apart {})", ns.inode, got, a->second);
  }
  return fmt::format("{}/{} namespaces equal{}", same, checked, first);
}

int64_t total_of(const Counts& c, const std::vector<Ns>& all) {
  int64_t n = 0;
  for (const Ns& ns : all)
    if (auto it = c.find(ns.inode); it != c.end()) n += it->second;
  return n;
}

// Node A (see the top): BIG first in `all`, held until release(); the factory's pid in g_factory.
// Returns how many TIME_WAIT the factory made; BIG is deleted when `owner` goes.
std::string make_node_a(std::vector<Ns>* out, std::optional<tw::os::OwnedNetns>* owner) {
  const std::string factory =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "tw_factory").string();
  const long big_tw = 700000;
  constexpr int kBigPairs = 200000;
  std::vector<Ns> all;
  fmt::print(stderr, "A: 99 namespaces of 2,001 sockets...\n");
  make_smalls(&all, 99, 1000);
  // BIG: named, filled by tw_factory (the namespace's limits set inside it, never the host's).
  Ns big;
  big.name = fmt::format("twbench-allns-{}", getpid());
  auto owned = tw::os::OwnedNetns::create(big.name);
  if (!owned) die(owned.error());
  owner->emplace(std::move(*owned));
  g_big = big.name;
  std::snprintf(g_big_path, sizeof g_big_path, "/run/netns/%s", big.name.c_str());
  big.fd = open(("/run/netns/" + big.name).c_str(), O_RDONLY | O_CLOEXEC);
  check(big.fd >= 0, "open BIG");
  big.inode = inode_of_fd(big.fd);
  auto setup = tw::os::run_command(fmt::format(
      "ip netns exec {} sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000 net.ipv4.tcp_tw_reuse=0 "
      "'net.ipv4.ip_local_port_range=1024 65535' net.core.somaxconn=65535",
      big.name));
  if (!setup) die(setup.error());
  // BIG's ESTABLISHED first (they last), then as many TIME_WAIT as the factory makes in 40 s
  // (they expire 60 s after they were made: the reads of BIG come first).
  fmt::print(stderr, "A: BIG: {} ESTABLISHED connections...\n", kBigPairs);
  {
    std::vector<Ns> copies;
    make_smalls(&copies, kBigPairs / 1000, 1000, big.fd);
    for (Ns& c : copies) close(c.fd);
  }
  const std::string ready = fmt::format("/tmp/all_netns-{}.ready", getpid());
  fmt::print(stderr, "A: BIG: {} TIME_WAIT (tw_factory)...\n", big_tw);
  pid_t pid = fork();
  if (pid == 0) {
    execl(factory.c_str(), "tw_factory", "--netns", big.name.c_str(), "--time-wait",
          std::to_string(big_tw).c_str(), "--established", "0", "--threads", "2", "--ready",
          ready.c_str(), "--hold", "300", "--max-seconds", "40", nullptr);
    _exit(127);
  }
  g_factory = pid;
  const auto made_at = Clock::now();
  for (int i = 0; i < 900 && !std::filesystem::exists(ready); ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      g_factory = 0;
      die("tw_factory failed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string made = "?";
  {
    std::ifstream f(ready);
    for (std::string line; std::getline(f, line);)
      if (line.starts_with("time_wait_made=")) made = line.substr(15);
  }
  std::filesystem::remove(ready);
  fmt::print(stderr, "A: BIG holds {} TIME_WAIT ({:.0f} s after the factory started)\n", made,
             std::chrono::duration<double>(Clock::now() - made_at).count());
  all.insert(all.begin(), std::move(big));
  *out = std::move(all);
  return made;
}

void scenario_a(int reps) {
  std::vector<Ns> all;
  std::optional<tw::os::OwnedNetns> owned;
  const std::string made = make_node_a(&all, &owned);
  const pid_t pid = g_factory;

  std::vector<Row> rows;
  Counts walked, apart_walk, apart_dump;
  Row one{"one walk of every namespace (read_tcp_all_netns)", {}, ""};
  Row big_walk{"BIG alone: hash walk", {}, ""}, big_dump{"BIG alone: inet_diag dump", {}, ""};
  for (int r = 0; r < reps; ++r) {
    auto [w, c] = timed([&] { walked = one_walk(); });
    one.t.take(w, c);
    int64_t n = 0;
    auto [w2, c2] = timed([&] { n = in(all[0], walk_here); });
    big_walk.t.take(w2, c2);
    apart_walk[all[0].inode] = n;
    auto [w3, c3] = timed([&] { n = in(all[0], dump_here); });
    big_dump.t.take(w3, c3);
    apart_dump[all[0].inode] = n;
  }
  Row raw = raw_walk(true, reps), uncached = raw_walk(false, reps);
  int64_t host_total = 0;
  for (auto& [ino, n] : walked) host_total += n;
  one.note =
      fmt::format("{} sockets in our 100, {} on the table", total_of(walked, all), host_total);
  big_walk.note = fmt::format("{} sockets", apart_walk[all[0].inode]);
  big_dump.note = fmt::format("{} sockets", apart_dump[all[0].inode]);
  const std::string big_same =
      walked[all[0].inode] == apart_walk[all[0].inode] ? "BIG equal" : "BIG differs";
  Row each_walk = each("each namespace read apart: hash walk", all, 20, walk_here, &apart_walk);
  Row each_dump =
      each("each namespace read apart: inet_diag dump", all, 25, dump_here, &apart_dump);
  // Counts checked after: BIG's TIME_WAITs may start to expire by then, so BIG is checked above.
  each_walk.note += " " + compare(walked, apart_walk, all);
  each_dump.note += " " + compare(walked, apart_dump, all);
  const long rss = probe_rss();
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  g_factory = 0;
  release(&all);
  print(fmt::format("A: 100 namespaces, BIG {} TIME_WAIT + 400,200 ESTABLISHED and LISTEN, 99 x "
                    "2,001 (ESTABLISHED, LISTEN) ({})",
                    made, big_same),
        {one, raw, uncached, big_walk, big_dump, each_walk, each_dump}, reps);
  g_big.clear();  // `owned` deletes it on return
  g_big_path[0] = 0;
  fmt::print(
      "ratios: one walk / BIG walk {:.2f} (wall) {:.2f} (cpu); one walk / BIG dump {:.2f}; "
      "each walk / one walk {:.1f}; each dump / one walk {:.1f}\n",
      one.t.wall / big_walk.t.wall, one.t.cpu / big_walk.t.cpu, one.t.wall / big_dump.t.wall,
      each_walk.t.wall / one.t.wall, each_dump.t.wall / one.t.wall);
  fmt::print("peak RSS of the one walk (a fresh process): {} KiB\n", rss);
}

void scenario_b(int reps) {
  std::vector<Ns> all;
  fmt::print(stderr, "B: 1,000 namespaces of 1,000 sockets...\n");
  make_smalls(&all, 1000, 500);
  Counts walked, apart_walk, apart_dump;
  Row one{"one walk of every namespace (read_tcp_all_netns)", {}, ""};
  Row one_ns{"one namespace alone: hash walk", {}, ""};
  for (int r = 0; r < reps; ++r) {
    auto [w, c] = timed([&] { walked = one_walk(); });
    one.t.take(w, c);
    auto [w2, c2] = timed([&] { in(all[0], walk_here); });
    one_ns.t.take(w2, c2);
  }
  Row raw = raw_walk(true, reps), uncached = raw_walk(false, reps);
  one.note = fmt::format("{} sockets in our 1,000", total_of(walked, all));
  Row each_walk = each("each namespace read apart: hash walk", all, 15, walk_here, &apart_walk);
  Row each_dump =
      each("each namespace read apart: inet_diag dump", all, 30, dump_here, &apart_dump);
  each_walk.note += " " + compare(walked, apart_walk, all);
  each_dump.note += " " + compare(walked, apart_dump, all);
  const long rss = probe_rss();
  release(&all);
  print("B: 1,000 namespaces x 1,001 sockets (ESTABLISHED, LISTEN)",
        {one, raw, uncached, one_ns, each_walk, each_dump}, reps);
  fmt::print(
      "ratios: one walk / one namespace's walk {:.2f} (wall) {:.2f} (cpu); each walk / one "
      "walk {:.1f}; each dump / one walk {:.1f}\n",
      one.t.wall / one_ns.t.wall, one.t.cpu / one_ns.t.cpu, each_walk.t.wall / one.t.wall,
      each_dump.t.wall / one.t.wall);
  fmt::print("peak RSS of the one walk (a fresh process): {} KiB\n", rss);
}

// Node A built, then `sh -c cmd` run beside it (bench/exporter_node_cpu.sh measures the
// exporter there), with TWBENCH_BIG (BIG's name) and TWBENCH_MADE (its TIME_WAIT made) in its
// environment; the node is taken down when cmd ends. Returns cmd's exit status.
int node_run(const std::string& cmd) {
  std::vector<Ns> all;
  std::optional<tw::os::OwnedNetns> owned;
  const std::string made = make_node_a(&all, &owned);
  // The exporter's --all-netns finds namespaces through /run/netns and /proc/*/ns/net, as on a
  // node, where a pod's pause process holds its namespace; here a holder's /proc/PID/ns/net is
  // only the last namespace it made, so each small namespace gets a process of its own in it.
  const pid_t self = getpid();
  for (size_t i = 1; i < all.size(); ++i) {
    pid_t p = fork();
    check(p >= 0, "fork");
    if (p == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != self || setns(all[i].fd, CLONE_NEWNET) != 0) _exit(1);
      for (;;) pause();
    }
    g_holders.push_back(p);
  }
  setenv("TWBENCH_BIG", g_big.c_str(), 1);
  setenv("TWBENCH_MADE", made.c_str(), 1);
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(g_factory, SIGTERM);
  waitpid(g_factory, nullptr, 0);
  g_factory = 0;
  release(&all);
  owned.reset();
  g_big.clear();
  g_big_path[0] = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--probe-rss") {
    one_walk();
    rusage u;
    getrusage(RUSAGE_SELF, &u);
    fmt::print("{}\n", u.ru_maxrss);
    return 0;
  }
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const std::string only = argc > 2 ? argv[2] : "AB";
  if (!tw::tcp_iter_built()) die("built without BPF");
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (argc > 2 && std::string(argv[1]) == "--node-run") return node_run(argv[2]);
  fmt::print("all_netns: {} walkers, {}", tw::bpf_walkers(),
             tw::os::run_command("uname -r").value_or("?"));
  if (only.find('A') != std::string::npos) scenario_a(reps);
  if (only.find('B') != std::string::npos) scenario_b(reps);
}
