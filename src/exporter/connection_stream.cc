// SPDX-License-Identifier: Apache-2.0
#include "exporter/connection_stream.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tw {

namespace {

// poll() for `events` within `ms` (EINTR retried with the time left): > 0 ready, 0 timed out.
int wait_for(int fd, short events, std::chrono::milliseconds ms) {
  const auto end = std::chrono::steady_clock::now() + ms;
  for (;;) {
    pollfd p{fd, events, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    const int rc = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

void name_of(const sockaddr_storage& a, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, Clock::time_point read_deadline,
                                   std::chrono::milliseconds read_timeout,
                                   std::chrono::milliseconds write_timeout)
    : fd_(fd),
      deadline_(read_deadline),
      read_timeout_(read_timeout),
      write_timeout_(write_timeout) {}

bool ConnectionStream::is_readable() const {
  if (begin_ < end_) return true;
  const auto to_deadline =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  const bool deadline_first = to_deadline < read_timeout_;
  const int rc = wait_for(
      fd_, POLLIN, std::max(std::min(to_deadline, read_timeout_), std::chrono::milliseconds(0)));
  if (rc == 0 && deadline_first) missed_ = true;
  return rc > 0;
}

bool ConnectionStream::is_writable() const { return wait_for(fd_, POLLOUT, write_timeout_) > 0; }

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (begin_ == end_) {
    if (!is_readable()) return -1;
    ssize_t n;
    do n = recv(fd_, buf_.data(), buf_.size(), MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buf_.data() + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  for (;;) {
    if (!is_writable()) return -1;
    // MSG_NOSIGNAL: a client gone mid-answer is an error here, not SIGPIPE for the process.
    // MSG_DONTWAIT: what fits now (httplib writes the rest), so no send blocks past the timeout.
    const ssize_t n = send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) return n;
  }
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) name_of(a, len, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) name_of(a, len, ip, port);
}

}  // namespace tw
