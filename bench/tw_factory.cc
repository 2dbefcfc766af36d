// SPDX-License-Identifier: Apache-2.0
// Socket factory for the census benchmark: fills a network namespace with N TIME_WAIT sockets and
// E ESTABLISHED connections, then holds the established ones open while measurements run.
//
//   tw_factory --netns NAME --time-wait N [--established E] [--threads T] [--per-dest P]
//              [--ready FILE] [--hold SECONDS] [--max-seconds S]
//
// Each TIME_WAIT comes from one loopback connection: the client connects, closes first (active
// close), the server accepts and closes, and the client socket ends in TIME_WAIT. Connections are
// spread over many listeners (127.1.x.y on a few ports) so that no destination uses more than
// P source ports: the kernel's port search stays short and no tuple runs out of ports. Threads own
// disjoint listeners, so they never contend for an accept queue.
//
// The namespace must already allow what this needs: tcp_max_tw_buckets >= N, tcp_tw_reuse = 0
// (the default 2 would let loopback connect() recycle our TIME_WAITs), a wide
// ip_local_port_range and somaxconn >= E. bench/run.sh sets them.
//
// When done it writes FILE (key=value lines, renamed into place) and waits for SIGTERM/SIGINT or
// --hold seconds, whichever comes first. Creation stops after --max-seconds, so a slow machine
// yields fewer sockets (reported) rather than sockets that already expire.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string netns;
  long time_wait = 10000;
  long established = 2000;
  int threads = 2;
  long per_dest = 12000;
  std::string ready;
  int hold_seconds = 900;
  double max_seconds = 50;
};

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "tw_factory: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

sockaddr_in make_addr(uint32_t host_order_ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_order_ip);
  a.sin_port = htons(port);
  return a;
}

int listen_on(const sockaddr_in& a, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) < 0) die("bind listener");
  if (listen(fd, backlog) < 0) die("listen");
  return fd;
}

struct Dest {
  sockaddr_in addr;
  int listener;
};

struct WorkerResult {
  long made = 0;
  int error = 0;  // errno of the first failure, 0 if none
  std::string what;
};

// Makes `quota` TIME_WAIT sockets toward `dests`, round robin.
void work(const std::vector<Dest>& dests, long quota, Clock::time_point deadline,
          WorkerResult* out) {
  for (long i = 0; i < quota; ++i) {
    if ((i & 1023) == 0 && (g_stop || Clock::now() > deadline)) {
      out->what = g_stop ? "stopped" : "time limit";
      return;
    }
    const Dest& d = dests[i % dests.size()];
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) {
      out->error = errno, out->what = "socket";
      return;
    }
    if (connect(c, reinterpret_cast<const sockaddr*>(&d.addr), sizeof(d.addr)) < 0) {
      out->error = errno, out->what = "connect";
      close(c);
      return;
    }
    close(c);  // active close: the client side will hold the TIME_WAIT
    int s = accept4(d.listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) {
      out->error = errno, out->what = "accept";
      return;
    }
    close(s);
    ++out->made;
  }
}

long sockstat_field(const std::string& field) {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream ss(line.substr(4));
    std::string key;
    long value;
    while (ss >> key >> value)
      if (key == field) return value;
  }
  return -1;
}

long epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tw_factory: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--netns")
      o.netns = next();
    else if (a == "--time-wait")
      o.time_wait = std::atol(next());
    else if (a == "--established")
      o.established = std::atol(next());
    else if (a == "--threads")
      o.threads = std::max(1, std::atoi(next()));
    else if (a == "--per-dest")
      o.per_dest = std::max(1L, std::atol(next()));
    else if (a == "--ready")
      o.ready = next();
    else if (a == "--hold")
      o.hold_seconds = std::atoi(next());
    else if (a == "--max-seconds")
      o.max_seconds = std::atof(next());
    else {
      std::fprintf(stderr,
                   "usage: tw_factory --netns NAME --time-wait N [--established E] [--threads T]\n"
                   "       [--per-dest P] [--ready FILE] [--hold SECONDS] [--max-seconds S]\n");
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (!o.netns.empty()) {
    std::string path = "/run/netns/" + o.netns;
    int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) die("enter " + path);
    close(ns);
  }
  // Two descriptors per established connection, plus listeners.
  rlim_t need = 2 * o.established + 4096;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need) {
    rl.rlim_cur = need;
    if (rl.rlim_max < need) rl.rlim_max = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("raise RLIMIT_NOFILE");
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  // ESTABLISHED connections first: 127.0.0.1 -> 127.0.0.1:9000, both ends kept open.
  std::vector<int> held;
  held.reserve(2 * o.established);
  int est_listener = listen_on(make_addr(0x7f000001, 9000), 65535);
  for (long i = 0; i < o.established; ++i) {
    sockaddr_in a = make_addr(0x7f000001, 9000);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) die("socket");
    if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) die("connect established");
    int s = accept4(est_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) die("accept established");
    held.push_back(c);
    held.push_back(s);
  }

  // Destinations: 127.1.<i/4/250>.<i/4%250+1> on ports 20000..20003.
  long ndest = std::max<long>(o.threads, (o.time_wait + o.per_dest - 1) / o.per_dest);
  std::vector<std::vector<Dest>> per_thread(o.threads);
  for (long i = 0; i < ndest; ++i) {
    long host = i / 4;
    uint32_t ip = (127u << 24) | (1u << 16) | (static_cast<uint32_t>(host / 250) << 8) |
                  static_cast<uint32_t>(host % 250 + 1);
    sockaddr_in a = make_addr(ip, static_cast<uint16_t>(20000 + i % 4));
    per_thread[i % o.threads].push_back({a, listen_on(a, 1024)});
  }

  auto start = Clock::now();
  long start_ms = epoch_ms();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o.max_seconds));
  std::vector<WorkerResult> results(o.threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t) {
    long quota = o.time_wait / o.threads + (t < o.time_wait % o.threads ? 1 : 0);
    workers.emplace_back(work, std::cref(per_thread[t]), quota, deadline, &results[t]);
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  long made = 0;
  std::string problems;
  for (auto& r : results) {
    made += r.made;
    if (!r.what.empty())
      problems += r.what + (r.error ? std::string(": ") + std::strerror(r.error) : "") + "; ";
  }

  // The last connections' FINs may still sit in a softirq backlog on a busy machine: wait (up to
  // 5 s) until the namespace's TIME_WAIT count has caught up with what was made.
  for (int i = 0; i < 500 && sockstat_field("tw") < made; ++i) usleep(10 * 1000);

  std::ostringstream report;
  report << "time_wait_made=" << made << "\n"
         << "time_wait_asked=" << o.time_wait << "\n"
         << "established=" << o.established << "\n"
         << "destinations=" << ndest << "\n"
         << "threads=" << o.threads << "\n"
         << "seconds=" << seconds << "\n"
         << "rate_per_second=" << (seconds > 0 ? made / seconds : 0) << "\n"
         << "started_epoch_ms=" << start_ms << "\n"
         << "finished_epoch_ms=" << epoch_ms() << "\n"
         << "sockstat_tw=" << sockstat_field("tw") << "\n"
         << "sockstat_inuse=" << sockstat_field("inuse") << "\n"
         << "problems=" << problems << "\n"
         << "pid=" << getpid() << "\n";
  std::fputs(report.str().c_str(), stderr);
  if (!o.ready.empty()) {
    std::string tmp = o.ready + ".tmp";
    {
      std::ofstream f(tmp);
      f << report.str();
    }
    if (rename(tmp.c_str(), o.ready.c_str()) < 0) die("rename " + tmp);
  }
  // Hold the established connections until told to stop (bounded by --hold).
  auto hold_until = Clock::now() + std::chrono::seconds(o.hold_seconds);
  while (!g_stop && Clock::now() < hold_until) usleep(100 * 1000);
  return made == o.time_wait ? 0 : 3;
}
