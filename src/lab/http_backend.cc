// SPDX-License-Identifier: Apache-2.0
#include "lab/http_backend.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <unordered_map>

#include "lab/sockets.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

bool wants_close(const std::string& head) {
  std::string h = lower(head);
  size_t eol = h.find("\r\n");
  std::string request_line = h.substr(0, eol);
  bool http10 = request_line.ends_with("http/1.0");
  if (h.find("\r\nconnection: close") != std::string::npos) return true;
  if (http10) return h.find("\r\nconnection: keep-alive") == std::string::npos;
  return false;
}

Result<std::unique_ptr<HttpBackend>> HttpBackend::start(const Netns& ns, const std::string& addr,
                                                        uint16_t port, bool closes_first) {
  std::unique_ptr<HttpBackend> b(new HttpBackend);
  b->closes_first_ = closes_first;
  if (auto st = b->io_.open(ns, addr, port, true); !st) return fail(st.error());
  b->io_.thread = std::thread([p = b.get()] { p->loop(); });
  return b;
}

HttpBackend::~HttpBackend() = default;  // io_ stops and joins the thread first

void HttpBackend::loop() {
  struct Conn {
    os::UniqueFd fd;
    std::string pending;  // bytes of a request not yet complete
  };
  std::unordered_map<int, Conn> conns;
  epoll_event events[256];
  char buf[16384];
  static const std::string kKeep =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
  static const std::string kClose =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: "
      "close\r\n\r\nok\n";
  auto drop = [&](int fd) { conns.erase(fd); };  // closes it
  while (!io_.stop) {
    int n = epoll_wait(io_.epoll_fd.get(), events, 256, 200);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == io_.wake_fd.get()) continue;
      if (fd == io_.listen_fd.get()) {
        io_.accept_all([&](int c) {
          ++accepted_;
          conns[c].fd.reset(c);
        });
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {  // the peer closed or reset: close our side
        drop(fd);
        continue;
      }
      std::string& pending = conns[fd].pending;
      pending.append(buf, r);
      bool closing = false;
      size_t end;
      while (!closing && (end = pending.find("\r\n\r\n")) != std::string::npos) {
        std::string head = pending.substr(0, end + 4);
        pending.erase(0, end + 4);
        ++requests_;
        closing = closes_first_ && wants_close(head);
        // Answers are tiny: a socket buffer always takes them whole.
        (void)write_all(fd, closing ? kClose.data() : kKeep.data(),
                        closing ? kClose.size() : kKeep.size());
      }
      if (closing) {
        ++closed_first_;
        drop(fd);
      }
    }
  }
}

}  // namespace tw::lab
