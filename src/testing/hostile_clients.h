// SPDX-License-Identifier: Apache-2.0
// Hostile HTTP clients for the exporter's tests and soak (bench/exporter_soak): idle connections
// that send nothing, slowloris clients that send their headers a byte at a time, and header
// floods that stream 8 KiB header lines. Each comes from one of `from` (127.0.0.2-9 by default,
// other addresses than a scraper on 127.0.0.1, as on a real network) and connects again as soon
// as the server cuts it, as an attacker would. One thread, non-blocking sockets, poll(); loopback
// only; stops (and closes every socket) at stop() or destruction.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "os/unique_fd.h"

namespace tw::testing {

struct HostileOptions {
  int port = 0;  // the server, on 127.0.0.1
  int idle = 0, slow = 0, floods = 0;
  std::vector<std::string> from = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5",
                                   "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"};
  std::chrono::milliseconds drip{1000};  // a slow client's byte interval
  // Wait before connecting again after a cut (bounds the reconnect rate of clients a limit
  // refuses at once: each refused connection costs the server an accept and a TIME_WAIT).
  std::chrono::milliseconds reconnect_after{100};
};

class HostileClients {
 public:
  explicit HostileClients(HostileOptions options);
  ~HostileClients();
  HostileClients(const HostileClients&) = delete;
  HostileClients& operator=(const HostileClients&) = delete;

  void stop();
  int64_t connects() const { return connects_; }
  int64_t cut() const { return cut_; }  // connections the server closed
  int64_t flood_bytes() const { return flood_bytes_; }
  int64_t open() const { return open_; }  // connected now

 private:
  void loop();
  HostileOptions options_;
  std::atomic<bool> stop_ = false;
  std::atomic<int64_t> connects_ = 0, cut_ = 0, flood_bytes_ = 0, open_ = 0;
  std::thread thread_;
};

// A non-blocking TCP socket from `source` (an address on lo) connecting to 127.0.0.1:port, or
// none. The connection may still be in progress.
os::UniqueFd connect_from_address(const std::string& source, int port);

// A whole HTTP exchange from `source`: sends `raw`, reads until the server closes or `seconds`
// pass; "" when nothing came.
std::string request_from(const std::string& source, int port, const std::string& raw,
                         double seconds);

// The resident set and open descriptors of process `pid` (0: this one), from /proc.
long rss_kib(int pid = 0);
int open_fds(int pid = 0);

}  // namespace tw::testing
