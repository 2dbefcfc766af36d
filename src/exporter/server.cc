// SPDX-License-Identifier: Apache-2.0
#include "exporter/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "exporter/basic_auth.h"
#include "exporter/content_coding.h"
#include "exporter/exposition.h"
#include "exporter/host_header.h"
#include "os/unique_fd.h"

namespace tw {

using Clock = std::chrono::steady_clock;

namespace {

constexpr Clock::time_point kNever = Clock::time_point::max();

// One accepted connection as the deadline watchdog sees it. `dup` is the watchdog's own
// descriptor of the socket (dup() of libmicrohttpd's): shutdown() on it cuts the connection, and
// it cannot name another connection's socket after libmicrohttpd closed its descriptor and the
// number was given again.
struct Conn {
  std::string ip;  // the client's address bytes (the per-address count's key)
  os::UniqueFd dup;
  Clock::time_point deadline;
  bool answered = false;  // the request was complete and went to the handler
  bool counted = false;   // in the connection counts (until its answer is sent or it is cut)
};

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// The path of a request target in the absolute form a proxy sends (GET http://host:port/metrics,
// RFC 9112 3.2.2, which a server MUST accept): libmicrohttpd leaves scheme and authority in it.
std::string_view path_of(std::string_view url) {
  // Extra spaces in the request line stay in the target (RFC 9112 3 lets a server split on
  // whitespace).
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.remove_suffix(1);
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() >= scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      const size_t slash = url.find('/', scheme.size());
      return slash == std::string_view::npos ? "/" : url.substr(slash);
    }
  }
  return url;
}

struct HostCount {
  size_t count = 0;
};

enum MHD_Result count_host(void* cls, enum MHD_ValueKind, const char* key, const char*) {
  if (strcasecmp(key, "Host") == 0) ++static_cast<HostCount*>(cls)->count;
  return MHD_YES;
}

}  // namespace

struct MetricsServer::Impl {
  MetricsServer* self = nullptr;
  MHD_Daemon* daemon = nullptr;
  os::UniqueFd listen_fd;
  os::UniqueFd stop_fd;  // eventfd: run() returns when it is readable
  std::unique_ptr<BasicAuth> auth;

  std::mutex mu;
  std::unordered_map<int, std::shared_ptr<Conn>> pending;  // by fd: accepted, not yet started
  std::unordered_set<std::shared_ptr<Conn>> live;
  // Open connections per client address. The limits are enforced here, at accept, rather than by
  // libmicrohttpd's own options: 0.9.75 with a thread pool leaves a worker's mutex locked when a
  // connection is refused at its share of MHD_OPTION_CONNECTION_LIMIT (seen here: that worker
  // stalled and MHD_stop_daemon never returned), so libmicrohttpd is given limits it never meets.
  std::unordered_map<std::string, size_t> per_ip;
  size_t max_connections = 0;  // what the descriptor limit allows of options_.max_connections

  size_t counted = 0;  // connections in the counts

  // Takes `c` out of the connection counts (with `mu` held): when its answer is sent (the
  // connection is done; libmicrohttpd closes it a moment later, and a scraper coming back at once
  // must not find its last connection still counted) or when it goes.
  void uncount(Conn& c) {
    if (!c.counted) return;
    c.counted = false;
    --counted;
    auto it = per_ip.find(c.ip);
    if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
  }
  // Drops `c` from the live set and the counts (with `mu` held).
  void forget(const std::shared_ptr<Conn>& c) {
    uncount(*c);
    live.erase(c);
  }

  // libmicrohttpd's NOTIFY_COMPLETED: the answer went out (or the request ended in an error).
  static void completed(void* cls, MHD_Connection* connection, void**,
                        enum MHD_RequestTerminationCode) {
    auto* impl = static_cast<Impl*>(cls);
    auto c = conn_of(connection);
    if (!c) return;
    std::lock_guard lock(impl->mu);
    impl->uncount(*c);
  }
  std::condition_variable watch_cv;
  bool stopping = false;
  std::thread watchdog;

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    watch_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
    if (daemon) MHD_stop_daemon(daemon);
    for (auto& c : live) c->dup.reset();
  }

  // Cuts every connection past its deadline: one whose request is not complete by
  // request_timeout_s from accept (however often it sends a byte), or whose answer is not sent
  // within write_timeout_s.
  void watch() {
    std::unique_lock lock(mu);
    while (!stopping) {
      watch_cv.wait_for(lock, std::chrono::milliseconds(100));
      const auto now = Clock::now();
      for (auto it = live.begin(); it != live.end();) {
        Conn& c = **it;
        if (c.deadline > now) {
          ++it;
          continue;
        }
        if (c.dup) {
          ::shutdown(c.dup.get(), SHUT_RDWR);  // libmicrohttpd reads the end and closes its side
          c.dup.reset();
          if (!c.answered) ++self->dropped_slow_;
        }
        auto dead = *it++;
        forget(dead);
      }
    }
  }

  // libmicrohttpd's NOTIFY_CONNECTION: the watchdog's record follows the connection.
  static void notify(void* cls, MHD_Connection* connection, void** socket_context,
                     enum MHD_ConnectionNotificationCode code) {
    auto* impl = static_cast<Impl*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (!info) return;
      std::lock_guard lock(impl->mu);
      auto it = impl->pending.find(info->connect_fd);
      if (it == impl->pending.end()) return;
      *socket_context = new std::shared_ptr<Conn>(std::move(it->second));
      impl->pending.erase(it);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
      auto* holder = static_cast<std::shared_ptr<Conn>*>(*socket_context);
      {
        std::lock_guard lock(impl->mu);
        Conn& c = **holder;
        c.dup.reset();
        impl->forget(*holder);
      }
      delete holder;
      *socket_context = nullptr;
    }
  }

  // Registers an accepted socket with the watchdog and hands it to libmicrohttpd.
  bool add(int fd, const sockaddr* addr, socklen_t len) {
    os::UniqueFd owned(fd);  // ours until libmicrohttpd takes it
    auto c = std::make_shared<Conn>();
    if (addr->sa_family == AF_INET)
      c->ip.assign(
          reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr), 4);
    else if (addr->sa_family == AF_INET6)
      c->ip.assign(
          reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr),
          16);
    c->deadline =
        Clock::now() + std::chrono::seconds(std::max(self->options_.request_timeout_s, 1));
    {
      std::lock_guard lock(mu);
      // Past a limit: closed at once (the client sees its connection end, unanswered).
      const size_t per_ip_limit = self->options_.max_connections_per_ip;
      auto count = per_ip.find(c->ip);
      if (counted >= max_connections ||
          (per_ip_limit && count != per_ip.end() && count->second >= per_ip_limit))
        return false;
      c->dup.reset(fcntl(fd, F_DUPFD_CLOEXEC, 0));
      if (!c->dup) return false;  // out of descriptors: a connection the watchdog could not cut
      ++per_ip[c->ip];
      ++counted;
      c->counted = true;
      // A record left under this number belonged to a socket libmicrohttpd closed without
      // starting it; the watchdog ends it (its dup) at its deadline.
      pending[fd] = c;
      live.insert(c);
    }
    if (MHD_add_connection(daemon, owned.release(), addr, len) == MHD_YES) return true;
    // Refused by libmicrohttpd (out of memory, say), which closed the socket.
    std::lock_guard lock(mu);
    if (auto it = pending.find(fd); it != pending.end() && it->second == c) pending.erase(it);
    forget(c);
    c->dup.reset();
    return false;
  }

  // Waits (at most `limit`) until no answered connection is still open.
  void finish_answers(std::chrono::seconds limit) {
    const auto end = Clock::now() + limit;
    std::unique_lock lock(mu);
    while (Clock::now() < end) {
      bool sending = false;
      for (const auto& c : live) sending = sending || (c->answered && c->dup);
      if (!sending) return;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
    }
  }

  static std::shared_ptr<Conn> conn_of(MHD_Connection* connection) {
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (!info || !info->socket_context) return nullptr;
    return *static_cast<std::shared_ptr<Conn>*>(info->socket_context);
  }

  void set_deadline(const std::shared_ptr<Conn>& c, Clock::time_point t, bool answered) {
    if (!c) return;
    std::lock_guard lock(mu);
    c->deadline = t;
    c->answered = c->answered || answered;
  }

  // Whether the client's certificate is what client_auth_type asks.
  bool client_cert_ok(MHD_Connection* connection) const {
    const ClientAuth want = self->options_.web.client_auth;
    if (!self->options_.web.tls || want == ClientAuth::kNone || want == ClientAuth::kRequest)
      return true;
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session) return false;
    auto session = static_cast<gnutls_session_t>(info->tls_session);
    unsigned n = 0;
    const bool given = gnutls_certificate_get_peers(session, &n) != nullptr && n > 0;
    if (!given) return want == ClientAuth::kVerifyIfGiven;
    if (want != ClientAuth::kRequireAny) {
      unsigned status = 0;
      if (gnutls_certificate_verify_peers2(session, &status) != 0 || status != 0) return false;
    }
    return names_an_allowed_san(session);
  }

  // client_allowed_sans: whether the client's certificate names one of them (as exporter-toolkit:
  // its DNS names, emails, IP addresses and URIs).
  bool names_an_allowed_san(gnutls_session_t session) const {
    const auto& allowed = self->options_.web.allowed_sans;
    if (allowed.empty()) return true;
    unsigned n = 0;
    const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &n);
    gnutls_x509_crt_t crt = nullptr;
    if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0) return false;
    bool found = false;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0) {
      for (unsigned seq = 0; !found && seq < 64; ++seq) {
        char buf[1024];
        size_t size = sizeof buf;
        unsigned critical = 0;
        const int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        if (type < 0) continue;
        std::string name;
        if (type == GNUTLS_SAN_IPADDRESS) {
          char text[INET6_ADDRSTRLEN] = "";
          if (size == 4 || size == 16)
            inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof text);
          name = text;
        } else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
                   type == GNUTLS_SAN_URI) {
          name.assign(buf, size);
        }
        for (const auto& a : allowed) found = found || (!name.empty() && name == a);
      }
    }
    gnutls_x509_crt_deinit(crt);
    return found;
  }

  enum MHD_Result answer(MHD_Connection* connection, unsigned status, std::string body,
                         const char* type, bool gzip_ok, const char* allow = nullptr,
                         bool auth_challenge = false) {
    if (status >= 400 && status < 500) ++self->rejected_;
    bool gzip = false;
    if (gzip_ok) {
      const char* ae = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Accept-Encoding");
      gzip = choose_coding(ae ? ae : "", ae != nullptr) == ContentCoding::kGzip;
      if (gzip) body = compressed(body);
    }
    MHD_Response* r =
        MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (gzip_ok) MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (gzip) MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (allow) MHD_add_response_header(r, "Allow", allow);
    for (const auto& [name, value] : self->options_.web.headers)
      MHD_add_response_header(r, name.c_str(), value.c_str());
    // One request a connection: every answer (a refusal too) closes it and says so. An idle
    // keep-alive connection would hold a slot between scrapes; Prometheus scrapes once per
    // interval, where a new connection costs nothing.
    MHD_add_response_header(r, "Connection", "close");
    const enum MHD_Result ok = auth_challenge
                                   ? MHD_queue_basic_auth_fail_response(connection, "timewait", r)
                                   : MHD_queue_response(connection, status, r);
    MHD_destroy_response(r);
    return ok;
  }

  // `body` gzip-compressed; the last result is kept: scrapes within one --min-interval share a
  // census, so most bodies are the one compressed just before.
  std::string compressed(const std::string& body) {
    {
      std::lock_guard lock(gzip_mu);
      if (body == gzip_in) return gzip_out;
    }
    std::string out = gzip_compress(body);
    std::lock_guard lock(gzip_mu);
    gzip_in = body;
    gzip_out = out;
    return out;
  }
  std::mutex gzip_mu;
  std::string gzip_in, gzip_out;

  // Whether the request carries a user and password of basic_auth_users.
  bool authorized(MHD_Connection* connection) {
    if (!auth || !auth->enabled()) return true;
    char* password = nullptr;
    char* user = MHD_basic_auth_get_username_password(connection, &password);
    const bool ok = user && password && auth->check(user, password);
    if (password) {
      explicit_bzero(password, strlen(password));
      MHD_free(password);
    }
    if (user) MHD_free(user);
    return ok;
  }

  enum MHD_Result handle(MHD_Connection* connection, const char* url, const char* method,
                         const char* version, size_t* upload_size, void** req_cls) {
    if (*req_cls) {
      // A body the request announced arrives after a refusal was queued: dropped unread.
      *upload_size = 0;
      return MHD_YES;
    }
    *req_cls = this;
    ++self->requests_;
    auto conn = conn_of(connection);
    set_deadline(conn, kNever, true);  // answering now: a census may take a while
    struct Done {
      Impl* impl;
      std::shared_ptr<Conn> conn;
      ~Done() {
        impl->set_deadline(
            conn, Clock::now() + std::chrono::seconds(impl->self->options_.write_timeout_s), true);
      }
    } done{this, conn};

    if (!client_cert_ok(connection)) {
      ++self->rejected_;
      return MHD_NO;  // closed unanswered, as a TLS handshake refusal would be
    }
    if (!authorized(connection))
      return answer(connection, MHD_HTTP_UNAUTHORIZED, "authentication required\n", "text/plain",
                    false, nullptr, true);
    HostCount hosts;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, count_host, &hosts);
    const char* host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Host");
    if (auto problem = host_problem(version, hosts.count, host ? host : ""))
      return answer(connection, MHD_HTTP_BAD_REQUEST, *problem + "\n", "text/plain", false);
    const std::string_view m = method;
    if (m != "GET" && m != "HEAD")
      return answer(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: only GET and HEAD\n",
                    "text/plain", false, "GET, HEAD");
    const int headers = MHD_get_connection_values(connection, MHD_HEADER_KIND, nullptr, nullptr);
    if (headers < 0 || static_cast<size_t>(headers) > self->options_.max_headers)
      return answer(connection, 431, "too many header fields\n", "text/plain", false);
    const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
    if (MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Transfer-Encoding") ||
        (length && std::string_view(length) != "0"))
      // Refused from the headers: the body is never read (no endpoint takes one).
      return answer(connection, 413, "no endpoint takes a body\n", "text/plain", false);
    // A Range header is ignored: the answer is always the whole page with 200 (RFC 9110 14.2
    // lets a server ignore it), never a 206 and never bytes past the body.
    const std::string_view path = path_of(url);
    if (path == "/metrics")
      return answer(connection, MHD_HTTP_OK, self->handlers_.metrics(), kExpositionContentType,
                    true);
    if (path == "/")
      return answer(connection, MHD_HTTP_OK, index_page(), "text/html; charset=utf-8", true);
    return answer(connection, MHD_HTTP_NOT_FOUND, "HTTP status 404\n", "text/plain", false);
  }

  static enum MHD_Result access(void* cls, MHD_Connection* connection, const char* url,
                                const char* method, const char* version, const char*,
                                size_t* upload_size, void** req_cls) {
    return static_cast<Impl*>(cls)->handle(connection, url, method, version, upload_size, req_cls);
  }
};

std::string index_page() {
  return "<!DOCTYPE html>\n<html><head><title>timewait exporter</title></head>\n"
         "<body><h1>timewait exporter</h1>\n"
         "<p>TIME_WAIT and ephemeral-port pressure per network namespace and destination.</p>\n"
         "<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";
}

MetricsServer::MetricsServer(ServerOptions options, ServerHandlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      impl_(std::make_unique<Impl>()) {
  impl_->self = this;
  if (!options_.web.users.empty()) impl_->auth = std::make_unique<BasicAuth>(options_.web.users);
}

MetricsServer::~MetricsServer() {
  stop();
  impl_.reset();
}

namespace {

// The listening socket: SO_REUSEADDR (a restart binds again at once while the last run's
// connections sit in TIME_WAIT) but never SO_REUSEPORT, which would let a second exporter share
// the port silently (each getting half the scrapes).
Result<os::UniqueFd> listen_on(const std::string& host, int port, int backlog, int* bound_port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return fail("not a numeric address");
  os::UniqueFd owned(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int fd = owned.get();
  if (!owned) {
    freeaddrinfo(res);
    return fail(std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
    const int e = errno;
    freeaddrinfo(res);
    return fail(e == EADDRINUSE ? "the port is already in use" : std::strerror(e));
  }
  freeaddrinfo(res);
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *bound_port = ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  return owned;
}

// Each connection takes two descriptors (libmicrohttpd's and the watchdog's): raise the soft
// limit toward the hard one so that max_connections fit; fewer connections if they cannot.
size_t fit_descriptors(size_t connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return connections;
  const rlim_t want = 2 * connections + 64;
  if (rl.rlim_cur < want) {
    rlimit raised = rl;
    raised.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur >= want) return connections;
  return std::max<size_t>((rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 2) / 2, 1);
}

}  // namespace

Status MetricsServer::bind() {
  auto where = [&] { return fmt::format("{}:{}", url_host(options_.host), options_.port); };
  auto fd = listen_on(options_.host, options_.port, options_.backlog, &port_);
  if (!fd)
    return fail(fmt::format(
        "cannot listen on {}: {} (another exporter running? pick another address with --listen "
        "HOST:PORT)",
        where(), fd.error()));
  impl_->listen_fd = std::move(*fd);
  impl_->stop_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

  const size_t connections = fit_descriptors(options_.max_connections);
  impl_->max_connections = connections;
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
  const auto& web = options_.web;
  if (web.tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> opts = {
      {MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(std::max<size_t>(options_.threads, 1)),
       nullptr},
      // Never met (see Impl::per_ip): each worker's share is above all the connections.
      {MHD_OPTION_CONNECTION_LIMIT,
       static_cast<intptr_t>((connections + 16) * std::max<size_t>(options_.threads, 1)), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(std::max(options_.read_timeout_s, 1)),
       nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(options_.connection_memory),
       nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_INCREMENT, 1024, nullptr},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&Impl::notify), impl_.get()},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Impl::completed), impl_.get()},
  };
  if (web.tls) {
    opts.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(web.cert_pem.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(web.key_pem.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(web.tls_priorities.c_str())});
    // libmicrohttpd asks for a client certificate when it has a trust list. Without CAs
    // (RequestClientCert, RequireAnyClientCert) the server's own certificate stands in: the
    // certificate is asked for, not verified.
    if (web.client_auth != ClientAuth::kNone)
      opts.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0,
                      const_cast<char*>(web.client_ca_pem.empty() ? web.cert_pem.c_str()
                                                                  : web.client_ca_pem.c_str())});
  }
  opts.push_back({MHD_OPTION_END, 0, nullptr});
  impl_->daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &Impl::access, impl_.get(),
                                   MHD_OPTION_ARRAY, opts.data(), MHD_OPTION_END);
  if (!impl_->daemon)
    return fail(fmt::format("cannot start the HTTP server on {}{}", where(),
                            web.tls ? fmt::format(" (TLS from {})", web.file) : ""));
  impl_->watchdog = std::thread([impl = impl_.get()] { impl->watch(); });
  return {};
}

bool MetricsServer::run() {
  if (!impl_->daemon) return false;
  for (;;) {
    pollfd p[2] = {{impl_->listen_fd.get(), POLLIN, 0}, {impl_->stop_fd.get(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (p[1].revents) {
      // Stop accepting (new clients are refused, not left in the backlog), then let answers
      // already under way go out, for at most write_timeout_s.
      impl_->listen_fd.reset();
      impl_->finish_answers(std::chrono::seconds(options_.write_timeout_s));
      return true;
    }
    if (!p[0].revents) continue;
    // Accept what is waiting now; the limits are libmicrohttpd's (it closes what is over them).
    for (int i = 0; i < 64; ++i) {
      sockaddr_storage a{};
      socklen_t len = sizeof a;
      const int fd = accept4(impl_->listen_fd.get(), reinterpret_cast<sockaddr*>(&a), &len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the backlog holds them
        break;
      }
      impl_->add(fd, reinterpret_cast<sockaddr*>(&a), len);
    }
  }
}

bool MetricsServer::serve_connection(int fd) {
  if (!impl_->daemon) {
    os::UniqueFd refused(fd);  // closed: the caller handed it over
    return false;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return impl_->add(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

void MetricsServer::stop() {
  if (impl_ && impl_->stop_fd) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->stop_fd.get(), &one, sizeof one);
  }
}

}  // namespace tw
