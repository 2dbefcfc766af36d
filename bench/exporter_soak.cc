// SPDX-License-Identifier: Apache-2.0
// Soak for `timewait exporter` (bench/exporter_soak.sh runs it in a namespace of its own): for S
// seconds, C well-behaved scrapers (Prometheus' request, gzip asked, a pause between scrapes)
// from 127.0.0.1 and 127.0.1.1-9, while hostile clients from 127.0.0.2-9 hold idle connections,
// drip headers a byte a second (slowloris) and stream 8 KiB header lines (testing::HostileClients).
// Prints every well-behaved scrape's fate (answered or not), latency percentiles, the exporter's
// RSS (start, peak, end) and open descriptors (start, after the load). Exit 1 when a target is
// missed: every scrape answered, p99 under 1 s, RSS growth under 64 MiB, descriptors back.
//
//   exporter_soak --port P --pid EXPORTER_PID [--seconds 60] [--scrapers 500] [--idle 1000]
//                 [--slow 100] [--floods 8] [--pause-ms 1000] [--scraper-addresses 10]
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "testing/hostile_clients.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Args {
  int port = 0, pid = 0, seconds = 60, scrapers = 500, idle = 1000, slow = 100, floods = 8;
  int pause_ms = 1000, scraper_addresses = 10;
};

struct Scraper {
  std::string from;
  int fd = -1;
  Clock::time_point started, next;
  size_t sent = 0;
  std::string got;
};

// A complete answer: 200, and a body of Content-Length bytes.
bool complete_200(const std::string& r) {
  if (!r.starts_with("HTTP/1.1 200")) return false;
  const size_t end = r.find("\r\n\r\n");
  const size_t cl = r.find("Content-Length: ");
  if (end == std::string::npos || cl == std::string::npos || cl > end) return false;
  return r.size() - end - 4 == std::stoul(r.substr(cl + 16));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--port")
      a.port = v;
    else if (k == "--pid")
      a.pid = v;
    else if (k == "--seconds")
      a.seconds = v;
    else if (k == "--scrapers")
      a.scrapers = v;
    else if (k == "--idle")
      a.idle = v;
    else if (k == "--slow")
      a.slow = v;
    else if (k == "--floods")
      a.floods = v;
    else if (k == "--pause-ms")
      a.pause_ms = v;
    else if (k == "--scraper-addresses")
      a.scraper_addresses = v;
    else {
      fmt::print(stderr, "exporter_soak: unknown option {}\n", k);
      return 2;
    }
  }
  if (!a.port || !a.pid) {
    fmt::print(stderr, "exporter_soak: --port and --pid are required\n");
    return 2;
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: "
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
      "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
  // The scrape each well-behaved client is sure of first, for the start figures.
  if (!complete_200(tw::testing::request_from("127.0.0.1", a.port, request, 10))) {
    fmt::print(stderr, "exporter_soak: the exporter on port {} does not answer\n", a.port);
    return 1;
  }
  // The first scrape's own connection closed in the server too, then the start figures.
  std::this_thread::sleep_for(1s);
  const long rss0 = tw::testing::rss_kib(a.pid);
  const int fds0 = tw::testing::open_fds(a.pid);
  long rss_peak = rss0;

  tw::testing::HostileOptions h;
  h.port = a.port;
  h.idle = a.idle;
  h.slow = a.slow;
  h.floods = a.floods;
  auto hostile = std::make_unique<tw::testing::HostileClients>(h);

  std::vector<Scraper> scrapers(static_cast<size_t>(a.scrapers));
  for (size_t i = 0; i < scrapers.size(); ++i) {
    const size_t k = i % static_cast<size_t>(std::max(a.scraper_addresses, 1));
    scrapers[i].from = k == 0 ? "127.0.0.1" : fmt::format("127.0.1.{}", k);
    // Spread the first scrapes over one pause, as independent scrapers would be.
    scrapers[i].next = Clock::now() + std::chrono::milliseconds(a.pause_ms * i / scrapers.size());
  }
  std::vector<double> latencies;
  int64_t answered = 0, unanswered = 0, timed_out = 0;
  // Why a scrape went unanswered: no connection, closed before any byte, a partial or non-200
  // answer, a socket error (the last errno).
  int64_t no_connect = 0, closed_empty = 0, bad_answer = 0, socket_error = 0, last_errno = 0;
  const auto end = Clock::now() + std::chrono::seconds(a.seconds);
  auto last_sample = Clock::now();
  std::vector<pollfd> fds;
  char buf[65536];
  auto finish = [&](Scraper& s, bool ok) {
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
    if (ok) {
      ++answered;
      latencies.push_back(std::chrono::duration<double>(Clock::now() - s.started).count());
    } else {
      ++unanswered;
    }
    s.next = Clock::now() + std::chrono::milliseconds(a.pause_ms);
  };
  for (;;) {
    const auto now = Clock::now();
    const bool running = now < end;
    bool busy = false;
    fds.clear();
    for (auto& s : scrapers) {
      if (s.fd < 0 && running && now >= s.next) {
        s.fd = tw::testing::connect_from_address(s.from, a.port).release();
        s.started = now;
        s.sent = 0;
        s.got.clear();
        if (s.fd < 0) {
          ++no_connect;
          last_errno = errno;
          finish(s, false);
        }
      }
      if (s.fd >= 0 && now - s.started > 10s) {  // Prometheus' scrape timeout
        ++timed_out;
        finish(s, false);
      }
      busy = busy || s.fd >= 0;
      fds.push_back(
          {s.fd, static_cast<short>(POLLIN | (s.sent < request.size() ? POLLOUT : 0)), 0});
    }
    if (!running && !busy) break;
    poll(fds.data(), fds.size(), 20);
    for (size_t i = 0; i < scrapers.size(); ++i) {
      Scraper& s = scrapers[i];
      if (s.fd < 0 || !fds[i].revents) continue;
      if ((fds[i].revents & POLLOUT) && s.sent < request.size()) {
        const ssize_t n = send(s.fd, request.data() + s.sent, request.size() - s.sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
          s.sent += static_cast<size_t>(n);
        else if (n < 0 && errno != EAGAIN && errno != EINPROGRESS && errno != ENOTCONN) {
          ++socket_error;
          last_errno = errno;
          finish(s, false);
          continue;
        }
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = recv(s.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          s.got.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          const bool ok = n == 0 && complete_200(s.got);
          if (!ok && n < 0) {
            ++socket_error;
            last_errno = errno;
          } else if (!ok) {
            ++(s.got.empty() ? closed_empty : bad_answer);
          }
          finish(s, ok);
        }
      }
    }
    if (Clock::now() - last_sample > 500ms) {
      rss_peak = std::max(rss_peak, tw::testing::rss_kib(a.pid));
      last_sample = Clock::now();
    }
  }
  const int64_t hostile_connects = hostile->connects(), hostile_cut = hostile->cut();
  hostile.reset();
  const long rss_end = tw::testing::rss_kib(a.pid);
  rss_peak = std::max(rss_peak, rss_end);
  // Every client gone: the exporter's descriptors come back to the start (bounded wait: the
  // server closes what the clients left within its timeouts).
  int fds_end = tw::testing::open_fds(a.pid);
  for (int i = 0; i < 150 && fds_end > fds0; ++i) {
    std::this_thread::sleep_for(100ms);
    fds_end = tw::testing::open_fds(a.pid);
  }

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  const double p99 = pct(0.99);
  const double growth_mib = (rss_peak - rss0) / 1024.0;
  fmt::print(
      "exporter soak: {} s, {} scrapers from {} addresses ({} ms apart each), hostile from "
      "127.0.0.2-9: {} idle, {} slow, {} header floods\n",
      a.seconds, a.scrapers, a.scraper_addresses, a.pause_ms, a.idle, a.slow, a.floods);
  fmt::print("  scrapes answered    {} of {} ({} timed out at 10 s)\n", answered,
             answered + unanswered, timed_out);
  if (unanswered)
    fmt::print(
        "  unanswered          {} not connected, {} closed before a byte, {} partial or not "
        "200, {} socket errors (last: {})\n",
        no_connect, closed_empty, bad_answer, socket_error,
        last_errno ? std::strerror(static_cast<int>(last_errno)) : "none");
  fmt::print("  latency s           p50 {:.4f}  p90 {:.4f}  p99 {:.4f}  max {:.4f}\n", pct(0.5),
             pct(0.9), p99, latencies.empty() ? 0.0 : latencies.back());
  fmt::print("  hostile             {} connections made, {} cut by the server\n", hostile_connects,
             hostile_cut);
  fmt::print("  exporter RSS MiB    start {:.1f}  peak {:.1f}  end {:.1f}  (growth {:.1f})\n",
             rss0 / 1024.0, rss_peak / 1024.0, rss_end / 1024.0, growth_mib);
  fmt::print("  exporter fds        start {}  after {}\n", fds0, fds_end);
  bool ok = true;
  auto target = [&](const char* what, bool met) {
    fmt::print("  target {:<38} {}\n", what, met ? "met" : "MISSED");
    ok = ok && met;
  };
  target("every scrape answered", unanswered == 0 && answered > 0);
  target("p99 under 1 s", p99 < 1.0);
  target("RSS growth under 64 MiB", growth_mib < 64);
  target("descriptors back to the start", fds_end <= fds0);
  return ok ? 0 : 1;
}
