// SPDX-License-Identifier: Apache-2.0
// The exporter's HTTP side on libmicrohttpd (Debian's libmicrohttpd, the server of the Prometheus
// C client): GET /metrics and a plain / page, nothing that changes anything. Bounded in every way
// a client could push (docs/exporter.md, "Bounds"): the request line and header block by the
// library's per-connection memory, header count, body (refused unread), connections in total and
// per client address, the time from accept to a complete request, idle time, and the listen
// backlog. TLS (GnuTLS through libmicrohttpd) and basic auth come from a web config file in
// Prometheus exporter-toolkit's format (exporter/web_config.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "exporter/web_config.h"
#include "model/result.h"

namespace tw {

// Prometheus' list of default exporter ports (github.com/prometheus/prometheus/wiki/
// Default-port-allocations) has 9100-9999 fully allocated; 10040 is in no entry of it, is not a
// registered service in /etc/services, and lies below Linux's ephemeral range (32768-60999), so
// the exporter's listener never takes a port connect() would draw.
inline constexpr int kDefaultExporterPort = 10040;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = kDefaultExporterPort;  // 0: any free port (tests)
  // libmicrohttpd's threads, each with its own epoll set over its share of the connections. A
  // scrape waits for a census on one of them; the others go on serving.
  size_t threads = 4;
  // Open connections at once; past it a new connection is closed as soon as it is accepted.
  size_t max_connections = 2048;
  // Open connections from one client address: a few hostile addresses cannot take every slot
  // (max_connections / max_connections_per_ip = 32 addresses can).
  size_t max_connections_per_ip = 64;
  int backlog = 1024;  // listen(); the kernel caps it at net.core.somaxconn
  // A connection silent this long is closed (libmicrohttpd's idle timeout).
  int read_timeout_s = 5;
  // The request (line and headers) must be complete this soon after accept(): a client dripping
  // a byte now and then (slowloris) is cut there however often it sends. Under Prometheus'
  // default 10 s scrape timeout.
  int request_timeout_s = 5;
  // Once answered, the response must be sent within this (a client that reads slowly is cut).
  int write_timeout_s = 10;
  // libmicrohttpd's memory pool per connection: the request line, the header block and the
  // response's header lines live in it; a request that does not fit is 414 or 431. The body is
  // outside it.
  size_t connection_memory = 16 * 1024;
  size_t max_headers = 64;  // more: 431
  WebConfig web;            // TLS and basic auth; default: plain HTTP, no auth
};

// The bodies the server serves; called on the server's threads, concurrently.
struct ServerHandlers {
  std::function<std::string()> metrics;
};

class MetricsServer {
 public:
  MetricsServer(ServerOptions options, ServerHandlers handlers);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds the listening socket and starts the server's threads: one sentence when the address is
  // taken or not local, or the TLS setup fails.
  Status bind();
  int port() const { return port_; }  // after bind()
  // Accepts connections until stop(); false if accepting failed.
  bool run();
  // From any thread (a signal-waiting one): stop accepting; run() returns.
  void stop();

  // Serves one connection already open (a socketpair end: the fuzz target); the server owns
  // `fd` from here. After bind(). False if the server refused it (and closed it).
  bool serve_connection(int fd);

  int64_t requests() const { return requests_; }
  int64_t rejected() const { return rejected_; }          // 4xx answers
  int64_t dropped_slow() const { return dropped_slow_; }  // cut at request_timeout_s

  struct Impl;

 private:
  ServerOptions options_;
  ServerHandlers handlers_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<int64_t> requests_ = 0, rejected_ = 0, dropped_slow_ = 0;
};

// The / page: a link to /metrics.
std::string index_page();

}  // namespace tw
