// SPDX-License-Identifier: Apache-2.0
// Load for `timewait exporter` (bench/exporter_load.sh drives it): C concurrent scrapers, each
// GET /metrics in a loop on one keep-alive connection (reconnecting when the server closes it),
// for S seconds; prints requests, errors, latency percentiles and the exporter's RSS at the start
// and the end. Exit 1 on any error. Loopback only.
//
//   exporter_load --port P --pid EXPORTER_PID [--clients 50] [--seconds 20]
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

long rss_kib(int pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One response on a keep-alive connection: status 200 and a body of Content-Length bytes ending
// in a newline. False on anything else (the caller reconnects and counts an error unless the
// server had just closed an idle connection).
bool scrape(int fd, bool* closed, Clock::time_point deadline) {
  static const std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  *closed = false;
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    *closed = true;
    return false;
  }
  std::string buf;
  size_t header_end = std::string::npos, need = 0;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      *closed = buf.empty();
      return false;
    }
    buf.append(chunk, n);
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      if (!buf.starts_with("HTTP/1.1 200")) return false;
      auto cl = buf.find("Content-Length: ");
      if (cl == std::string::npos || cl > header_end) return false;
      need = header_end + 4 + std::stoul(buf.substr(cl + 16));
    }
    if (buf.size() >= need) return buf.size() == need && buf.back() == '\n';
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, pid = 0, clients = 50;
  double seconds = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = std::stoi(argv[i + 1]);
    else if (a == "--pid")
      pid = std::stoi(argv[i + 1]);
    else if (a == "--clients")
      clients = std::stoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::stod(argv[i + 1]);
  }
  if (!port || !pid || clients < 1 || clients > 1000 || seconds <= 0 || seconds > 600) {
    fmt::print(stderr,
               "usage: exporter_load --port P --pid PID [--clients 1-1000] "
               "[--seconds 1-600]\n");
    return 2;
  }
  const long rss_start = rss_kib(pid);
  std::atomic<long> rss_warm = -1;
  // RSS once warmed up (half-way: every worker has built a response, malloc has its arenas)
  // against the end: growth under steady load would be a leak.
  std::thread rss_probe([&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 2));
    rss_warm = rss_kib(pid);
  });
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::atomic<long> errors = 0, reconnects = 0;
  std::mutex mu;
  std::vector<double> latencies;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      int fd = -1;
      while (Clock::now() < end) {
        if (fd < 0 && (fd = connect_to(port)) < 0) {
          ++errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        const auto t0 = Clock::now();
        bool closed = false;
        bool ok = scrape(fd, &closed, t0 + std::chrono::seconds(30));
        if (ok) {
          mine.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
          continue;
        }
        // A keep-alive connection the server ended between requests is not an error.
        if (!closed) ++errors;
        ++reconnects;
        close(fd);
        fd = -1;
      }
      if (fd >= 0) close(fd);
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  rss_probe.join();
  const long rss_end = rss_kib(pid);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  fmt::print("clients {} seconds {} requests {} errors {} reconnects {}\n", clients, seconds,
             latencies.size(), errors.load(), reconnects.load());
  fmt::print("latency_s p50 {:.4f} p90 {:.4f} p99 {:.4f} max {:.4f}\n", pct(0.5), pct(0.9),
             pct(0.99), latencies.empty() ? 0 : latencies.back());
  fmt::print("exporter_rss_kib start {} warm {} end {}\n", rss_start, rss_warm.load(), rss_end);
  return errors == 0 && !latencies.empty() ? 0 : 1;
}
