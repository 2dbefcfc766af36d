#include "exporter/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "exporter/content_coding.h"
#include "exporter/exposition.h"
#include "exporter/host_header.h"
#include "exporter/request_deadline.h"

namespace tw {

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
    jobs_.push_back(std::move(fn));
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
      {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      fn();
    }
  }

  size_t max_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

namespace {

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
      server_(std::make_unique<httplib::Server>()) {
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
  s.set_read_timeout(options_.read_timeout_s, 0);
  s.set_write_timeout(options_.write_timeout_s, 0);
  s.set_keep_alive_timeout(options_.keep_alive_timeout_s);
  // One request per connection, so every answer (a refusal too) closes it, and says so. An idle
  // keep-alive connection holds a worker until keep_alive_timeout_s, so a few persistent
  // scrapers would starve the rest (measured: p99 11 s with 50 scrapers and 8 workers);
  // Prometheus scrapes once per interval, where a new connection costs nothing.
  s.set_keep_alive_max_count(1);
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    if (deadline_) deadline_->answered(req.remote_addr, req.remote_port);
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
  deadline_ = std::make_unique<RequestDeadline>(
      port_, std::chrono::seconds(std::max(options_.request_timeout_s, 1)));
  return {};
}

int64_t MetricsServer::dropped_slow() const { return deadline_ ? deadline_->dropped() : 0; }

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
