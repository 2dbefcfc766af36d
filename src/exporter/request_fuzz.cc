// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the exporter's request path: any bytes, sent as a client would send them
// to the real MetricsServer (libmicrohttpd's parser, then our checks: basic auth, the Host rule,
// the method, the header count, a body, the path, Accept-Encoding and gzip), over a socket pair
// handed to the server (MetricsServer::serve_connection, libmicrohttpd's MHD_add_connection).
// The whole path rather than our checks alone: what matters is what a client can make the server
// do, and our checks only see what libmicrohttpd passes them. libmicrohttpd itself is Debian's
// build (not instrumented): coverage guides the fuzzer through our code, and ASan/UBSan watch it.
//
// Besides no crash, leak or hang, each answer must hold what the server promises: one status
// line, never 206, a Content-Length equal to the body, a 200's body the page exactly (or its
// gzip), never more than the page. Built by cmake/fuzz.cmake (TIMEWAIT_FUZZ=ON, clang).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "exporter/content_coding.h"
#include "exporter/server.h"
#include "os/unique_fd.h"

namespace {

const std::string kPage = "# TYPE x gauge\nx 1\n";

std::unique_ptr<tw::MetricsServer> make(bool with_auth) {
  tw::ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.read_timeout_s = 1;
  o.request_timeout_s = 1;
  o.write_timeout_s = 2;
  if (with_auth) {
    // "prometheus:pw", cost 4 (a fuzzer that finds the password exercises the rest too).
    o.web.users = {{"prometheus", "$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"}};
  }
  auto s = std::make_unique<tw::MetricsServer>(o, tw::ServerHandlers{[] { return kPage; }});
  if (!s->bind()) abort();
  return s;
}

// Sends `in` on a new connection, closes the sending side, reads the answer (bounded).
std::string exchange(tw::MetricsServer& server, const uint8_t* in, size_t size) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) return "";
  const tw::os::UniqueFd mine(sv[1]);
  if (!server.serve_connection(sv[0])) return "";  // it took sv[0] either way
  size_t sent = 0;
  std::string out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool shut = false;
  while (std::chrono::steady_clock::now() < end) {
    if (sent == size && !shut) {
      // The end of input a moment after the bytes: sent together, libmicrohttpd (edge-triggered
      // epoll) reads both as one event and notices the end only at its 1 s timeout.
      usleep(500);
      shutdown(sv[1], SHUT_WR);
      shut = true;
    }
    pollfd p{sv[1], static_cast<short>(POLLIN | (sent < size ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if ((p.revents & POLLOUT) && sent < size) {
      const ssize_t n = send(sv[1], in + sent, size - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) sent = size;  // the server closed: stop sending
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const ssize_t n = recv(sv[1], buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > (1 << 20)) abort();  // never more than a page and its headers
    }
  }
  return out;
}

void check(const std::string& r) {
  if (r.empty()) return;  // closed unanswered (a malformed request line, a cut client)
  if (!r.starts_with("HTTP/1.") || r.size() < 12) abort();
  const int status = std::atoi(r.c_str() + 9);
  if (status < 200 || status > 599 || status == 206) abort();
  const size_t end = r.find("\r\n\r\n");
  if (end == std::string::npos) abort();
  if (r.substr(0, end).find("\r\nContent-Type: ") == std::string::npos) {
    // libmicrohttpd's own refusal of what it could not parse (our answers all have a
    // Content-Type): a 4xx or 5xx of a fixed small text. (Found by this target: for a malformed
    // Content-Length, 0.9.75 sends its 400's header block twice; the bytes are its own headers.)
    if (status < 400 || r.size() > 2048) abort();
    return;
  }
  const std::string head = r.substr(0, end + 2), body = r.substr(end + 4);
  const size_t cl = head.find("Content-Length: ");
  if (cl == std::string::npos) abort();
  const size_t length = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
  const bool head_request = body.empty() && length > 0;  // HEAD: the length, no body
  if (!head_request && body.size() != length) abort();
  if (head.find("Content-Range") != std::string::npos) abort();
  if (status == 200 && !head_request) {
    static const std::string gz = tw::gzip_compress(kPage), index = tw::index_page(),
                             index_gz = tw::gzip_compress(tw::index_page());
    if (body != kPage && body != gz && body != index && body != index_gz) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Made once, used for every input: the first byte's low bit chooses the server with basic auth.
  static auto plain = make(false);
  static auto authed = make(true);
  if (size == 0) return 0;
  auto& server = (data[0] & 1) ? *authed : *plain;
  check(exchange(server, data + 1, size - 1));
  return 0;
}
