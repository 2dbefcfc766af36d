// SPDX-License-Identifier: Apache-2.0
// The exporter's HTTP side (cpp-httplib): GET /metrics and a plain / page, nothing that changes
// anything. Bounded in every way a client could push: request line and header lines (the
// library's 8 KiB), header count, body size, per-connection read/write and keep-alive timeouts,
// a fixed number of worker threads and a bounded queue of accepted connections (past it the
// server stops accepting, and the kernel's backlog holds or refuses the rest).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "model/result.h"

namespace httplib {
class Server;
}

namespace tw {

class BoundedPool;

// Prometheus' list of default exporter ports (github.com/prometheus/prometheus/wiki/
// Default-port-allocations) has 9100-9999 fully allocated; 10040 is in no entry of it, is not a
// registered service in /etc/services, and lies below Linux's ephemeral range (32768-60999), so
// the exporter's listener never takes a port connect() would draw.
inline constexpr int kDefaultExporterPort = 10040;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = kDefaultExporterPort;  // 0: any free port (tests)
  size_t workers = 8;               // connections served at once
  size_t queued = 32;               // accepted connections waiting for a worker
  int read_timeout_s = 5;           // per read of a request; an idle client is dropped
  // The whole request (line and headers) must arrive this soon after it was accepted; a slow client
  // (one byte now and then, each read within read_timeout_s) is dropped
  // (exporter/connection_stream.h). Under Prometheus' default 10 s scrape timeout.
  int request_timeout_s = 5;
  int write_timeout_s = 5;
  size_t max_headers = 64;    // more: 431
  size_t max_body_bytes = 0;  // a body: 413 (no endpoint takes one)
};

// The bodies the server serves; called on worker threads, concurrently.
struct ServerHandlers {
  std::function<std::string()> metrics;
};

class MetricsServer {
 public:
  MetricsServer(ServerOptions options, ServerHandlers handlers);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds the listening socket: one sentence when the address is taken or not local.
  Status bind();
  int port() const { return port_; }  // after bind()
  // Serves until stop(); false if serving failed.
  bool run();
  // From any thread (a signal-waiting one): stop accepting, finish requests under way.
  void stop();

  int64_t requests() const { return requests_; }
  int64_t rejected() const { return rejected_; }          // 4xx answers
  int64_t dropped_slow() const { return dropped_slow_; }  // past request_timeout_s

 private:
  ServerOptions options_;
  ServerHandlers handlers_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::mutex pool_mu_;
  BoundedPool* pool_ = nullptr;  // while run() serves
  std::atomic<int64_t> requests_ = 0, rejected_ = 0, dropped_slow_ = 0;
};

// The / page: a link to /metrics.
std::string index_page();

}  // namespace tw
