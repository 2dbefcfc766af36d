// SPDX-License-Identifier: Apache-2.0
#include "exporter/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "exporter/connection_stream.h"
#include "exporter/content_coding.h"
#include "exporter/exposition.h"
#include "exporter/host_header.h"

namespace tw {

namespace {
// When the connection a worker now serves was accepted (httplib enqueues each right after
// accept()): its request deadline runs from there, so slow clients queued behind busy workers
// are past it when a worker takes them, and go at their first wait instead of one deadline after
// another (72 of them on 8 workers would have held a scrape 45 s). A client whose request waits
// whole in the socket is read all the same: only a read that must wait gives up.
thread_local std::chrono::steady_clock::time_point t_accepted;
}  // namespace

// httplib's own ThreadPool queues without limit: a flood of connections would queue (and hold
// file descriptors) without bound. This one blocks the accept loop when `queued` connections
// already wait, so the kernel's listen backlog absorbs or refuses the rest.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t workers, size_t queued) : max_(std::max<size_t>(queued, 1)) {
    for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i)
      threads_.emplace_back([this] { work(); });
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return jobs_.size() < max_ || stopping_; });
    // While stopping the job still runs: it closes the accepted socket.
    jobs_.emplace_back(std::chrono::steady_clock::now(), std::move(fn));
    not_empty_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && threads_.empty()) return;
      stopping_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

  // Lets a blocked enqueue() return so the accept loop can see the server stopped.
  void release() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      std::chrono::steady_clock::time_point accepted;
      {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
        if (jobs_.empty()) return;
        std::tie(accepted, fn) = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      t_accepted = accepted;
      fn();
    }
  }

  size_t max_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

namespace {

// httplib's Server serving each accepted connection through a ConnectionStream: one request,
// read within the request deadline from its accept(). process_and_close_socket is the hook
// httplib's own SSLServer overrides; process_request (parsing, routing, the answer) stays the
// library's. One request per connection, so every answer (a refusal too) closes it and says so: an
// idle keep-alive connection would hold a worker between scrapes, and a few persistent scrapers
// would starve the rest (measured: p99 11 s with 50 scrapers and 8 workers); Prometheus scrapes
// once per interval, where a new connection costs nothing.
class OneRequestServer : public httplib::Server {
 public:
  OneRequestServer(const ServerOptions& o, std::atomic<int64_t>* dropped_slow)
      : request_timeout_(std::chrono::seconds(std::max(o.request_timeout_s, 1))),
        read_timeout_(std::chrono::seconds(o.read_timeout_s)),
        write_timeout_(std::chrono::seconds(o.write_timeout_s)),
        dropped_slow_(dropped_slow) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    // Not set off a BoundedPool worker (no such caller now): the deadline runs from here.
    const auto accepted = t_accepted == std::chrono::steady_clock::time_point{}
                              ? std::chrono::steady_clock::now()
                              : t_accepted;
    ConnectionStream strm(sock, accepted + request_timeout_, read_timeout_, write_timeout_);
    bool closed = false;
    const bool ok = process_request(strm, /*close_connection=*/true, closed, nullptr);
    if (strm.missed_deadline()) ++*dropped_slow_;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  const std::chrono::milliseconds request_timeout_, read_timeout_, write_timeout_;
  std::atomic<int64_t>* dropped_slow_;
};

// Why binding failed, found by trying the same bind (httplib does not report errno).
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return "not a numeric address";
  std::string why = "unknown reason";
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1) != 0)
      why = errno == EADDRINUSE ? "the port is already in use" : std::strerror(errno);
    close(fd);
  } else {
    why = std::strerror(errno);
  }
  freeaddrinfo(res);
  return why;
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// A body as it is, through a content provider of known length: httplib compresses a body given
// to set_content by its own reading of Accept-Encoding (content_coding.h), a provider's bytes it
// sends untouched.
void send_body(httplib::Response& res, std::string body, const char* type) {
  auto shared = std::make_shared<const std::string>(std::move(body));
  res.set_content_provider(shared->size(), type,
                           [shared](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(shared->data() + offset, length);
                           });
}

// A page, gzip-compressed when the request's Accept-Encoding takes gzip.
void send_page(const httplib::Request& req, httplib::Response& res, std::string body,
               const char* type) {
  res.set_header("Vary", "Accept-Encoding");
  if (choose_coding(req.get_header_value("Accept-Encoding"), req.has_header("Accept-Encoding")) ==
      ContentCoding::kGzip) {
    body = gzip_compress(body);
    res.set_header("Content-Encoding", "gzip");
  }
  send_body(res, std::move(body), type);
}

}  // namespace

std::string index_page() {
  return "<!DOCTYPE html>\n<html><head><title>timewait exporter</title></head>\n"
         "<body><h1>timewait exporter</h1>\n"
         "<p>TIME_WAIT and ephemeral-port pressure per network namespace and destination.</p>\n"
         "<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";
}

MetricsServer::MetricsServer(ServerOptions options, ServerHandlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      server_(std::make_unique<OneRequestServer>(options_, &dropped_slow_)) {
  auto& s = *server_;
  const size_t workers = options_.workers, queued = options_.queued;
  s.new_task_queue = [this, workers, queued] {
    auto* p = new BoundedPool(workers, queued);
    std::lock_guard lock(pool_mu_);
    pool_ = p;
    return p;
  };
  // httplib's default also sets SO_REUSEPORT, which would let a second exporter share the port
  // silently (each getting half the scrapes): SO_REUSEADDR alone, so a taken port is an error.
  s.set_socket_options([](int fd) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    if (auto host = host_problem(req.version, req.get_header_value_count("Host"),
                                 req.get_header_value("Host"))) {
      res.status = 400;
      send_body(res, *host + "\n", "text/plain");
    } else if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      send_body(res, "read-only: only GET and HEAD\n", "text/plain");
    } else if (req.headers.size() > options_.max_headers) {
      res.status = 431;
      send_body(res, "too many header fields\n", "text/plain");
    } else if (!req.body.empty() || req.has_header("Transfer-Encoding") ||
               (req.has_header("Content-Length") &&
                req.get_header_value("Content-Length") != "0")) {
      // Refused from the headers: a body is never read (the route would not look at it).
      res.status = 413;
      send_body(res, "no endpoint takes a body\n", "text/plain");
    } else {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // Counted in the error handler, which httplib calls for every 4xx and 5xx answer.
    return httplib::Server::HandlerResponse::Handled;
  });
  // Paths also in the absolute form a proxy sends (GET http://host:port/metrics): RFC 9112
  // 3.2.2 says a server MUST accept it, and httplib leaves the scheme and authority in the path.
  const std::string absolute = "(?:[hH][tT][tT][pP][sS]?://[^/]*)?";
  s.Get(absolute + "/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    send_page(req, res, handlers_.metrics(), kExpositionContentType);
  });
  s.Get(absolute + "/", [](const httplib::Request& req, httplib::Response& res) {
    send_page(req, res, index_page(), "text/html; charset=utf-8");
  });
  s.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (res.status >= 400 && res.status < 500) ++rejected_;
    // Refusals above come with their own body.
    if (!res.has_header("Content-Type"))
      send_body(res, fmt::format("HTTP status {}\n", res.status), "text/plain");
  });
}

MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::bind() {
  bool ok;
  if (options_.port == 0) {
    int p = server_->bind_to_any_port(options_.host);
    ok = p > 0;
    if (ok) port_ = p;
  } else {
    ok = server_->bind_to_port(options_.host, options_.port);
    if (ok) port_ = options_.port;
  }
  if (!ok)
    return fail(fmt::format(
        "cannot listen on {}:{}: {} (another exporter running? pick another "
        "address with --listen HOST:PORT)",
        url_host(options_.host), options_.port, bind_failure(options_.host, options_.port)));
  return {};
}

bool MetricsServer::run() {
  bool ok = server_->listen_after_bind();
  std::lock_guard lock(pool_mu_);
  pool_ = nullptr;  // httplib deleted it
  return ok;
}

void MetricsServer::stop() {
  if (!server_) return;
  server_->stop();
  std::lock_guard lock(pool_mu_);
  if (pool_) pool_->release();
}

}  // namespace tw
