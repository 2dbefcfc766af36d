// SPDX-License-Identifier: Apache-2.0
// The stream httplib reads one request from and writes its answer to: an accepted socket with a
// deadline for the whole request besides the per-read and per-write timeouts. httplib's own
// stream bounds each read, not the request: a client sending a byte every few seconds
// (slowloris) held a worker for as long as it liked, and a handful of them starved every scraper
// (measured: 16 such clients, 8 workers, a scrape still unanswered after 30 s). The server
// (server.cc) serves each connection through one of these, so the deadline is the connection's
// own: no matching of peers, nothing to go wrong when a descriptor number or a client port is
// used again.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <string>

namespace tw {

class ConnectionStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;
  // `read_deadline`: no read waits past it. The stream does not own `fd`.
  ConnectionStream(int fd, Clock::time_point read_deadline, std::chrono::milliseconds read_timeout,
                   std::chrono::milliseconds write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  // Whether a read gave up at the deadline (the client was too slow, not silent).
  bool missed_deadline() const { return missed_; }

 private:
  const int fd_;
  const Clock::time_point deadline_;
  const std::chrono::milliseconds read_timeout_, write_timeout_;
  // httplib reads a request a byte at a time: a buffer spares a recv() for each.
  std::array<char, 4096> buf_{};
  size_t begin_ = 0, end_ = 0;
  mutable bool missed_ = false;
};

}  // namespace tw
