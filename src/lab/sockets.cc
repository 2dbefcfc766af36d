// SPDX-License-Identifier: Apache-2.0
#include "lab/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/unique_fd.h"

// Debian 12's glibc headers predate IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h).
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

namespace tw::lab {

sockaddr_in ipv4(const std::string& addr, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return a;
}

Result<os::UniqueFd> tcp_listen(const std::string& addr, uint16_t port, bool reuseaddr,
                                int rcvbuf) {
  os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int fd = owned.get();
  if (!owned) return fail(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  if (reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a = ipv4(addr, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0)
    return fail(fmt::format("cannot listen on {}:{}: {}", addr, port, std::strerror(errno)));
  return owned;
}

Result<os::UniqueFd> tcp_connect(const std::string& addr, uint16_t port,
                                 const ConnectOptions& opts) {
  os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int fd = owned.get();
  if (!owned) return fail(fmt::format("socket: {}", std::strerror(errno)));
  auto failed = [&](const char* what, int err) -> Result<os::UniqueFd> {
    owned.reset();
    std::string message = fmt::format("{} {}:{}: {} ({})", what, addr, port, std::strerror(err),
                                      strerrorname_np(err));
    errno = err;  // last, so that nothing above changes it
    return fail(std::move(message));
  };
  int one = 1;
  if (opts.reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (opts.range_low || opts.range_high) {
    const uint32_t range = uint32_t{opts.range_high} << 16 | opts.range_low;
    if (setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof range) != 0)
      return failed("setsockopt(IP_LOCAL_PORT_RANGE) for", errno);
  }
  if (opts.bind_address_no_port &&
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
    return failed("setsockopt(IP_BIND_ADDRESS_NO_PORT) for", errno);
  if (opts.local_port || !opts.bind_addr.empty()) {
    sockaddr_in l = ipv4(opts.bind_addr.empty() ? "0.0.0.0" : opts.bind_addr, opts.local_port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&l), sizeof l) != 0) return failed("bind for", errno);
  }
  sockaddr_in a = ipv4(addr, port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) return failed("connect to", errno);
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, opts.timeout_ms) <= 0) return failed("connect to", ETIMEDOUT);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return failed("connect to", err);
  }
  fcntl(fd, F_SETFL, 0);  // blocking from here on: callers bound their waits with poll
  return owned;
}

bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

int64_t drain(int fd, int64_t limit, int ms, int* err) {
  *err = 0;
  int64_t total = 0;
  char buf[65536];
  while (total < limit) {
    if (!wait_readable(fd, ms)) break;
    ssize_t n = read(fd, buf, std::min<int64_t>(sizeof buf, limit - total));
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      break;
    }
    if (n == 0) break;
    total += n;
  }
  return total;
}

bool write_all(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= w;
  }
  return true;
}

uint16_t local_port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

void set_linger(int fd, bool on, int seconds) {
  linger l{on ? 1 : 0, seconds};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace tw::lab
