// SPDX-License-Identifier: Apache-2.0
#include "testing/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "os/unique_fd.h"

namespace tw::testing {

namespace {

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

socklen_t make_addr(const std::string& addr, uint16_t port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  if (addr.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, addr.c_str(), &a->sin6_addr) != 1) die("bad address " + addr);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  if (inet_pton(AF_INET, addr.c_str(), &a->sin_addr) != 1) die("bad address " + addr);
  return sizeof *a;
}

os::UniqueFd tcp_socket(const std::string& addr) {
  os::UniqueFd fd(socket(addr.find(':') != std::string::npos ? AF_INET6 : AF_INET,
                         SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) die("socket");
  return fd;
}

os::UniqueFd connect_to(const std::string& addr, uint16_t port, uint16_t local_port) {
  os::UniqueFd owned = tcp_socket(addr);
  const int fd = owned.get();
  if (local_port) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage l;
    socklen_t n = make_addr(addr.find(':') != std::string::npos ? "::" : "0.0.0.0", local_port, &l);
    if (bind(fd, reinterpret_cast<sockaddr*>(&l), n) != 0) die("bind local port");
  }
  sockaddr_storage ss;
  socklen_t n = make_addr(addr, port, &ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), n) != 0) die("connect " + addr);
  return owned;
}

// Waits (bounded) until the peer's FIN arrived: read returns 0.
void wait_eof(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 2000) <= 0) throw std::runtime_error("peer did not close within 2 s");
  char c;
  if (read(fd, &c, 1) != 0) throw std::runtime_error("expected EOF");
}

}  // namespace

Sockets::~Sockets() {
  fds_.clear();  // the connections first, then the listeners
  listeners_.clear();
}

uint16_t Sockets::listen(const std::string& addr, uint16_t port) {
  os::UniqueFd owned = tcp_socket(addr);
  const int fd = owned.get();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t n = make_addr(addr, port, &ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), n) != 0) die("bind listener");
  if (::listen(fd, 4096) != 0) die("listen");
  n = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &n);
  uint16_t bound = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  listeners_.emplace_back(bound, std::move(owned));
  return bound;
}

os::UniqueFd Sockets::accept_from(uint16_t port) {
  for (auto& [p, fd] : listeners_) {
    if (p != port) continue;
    os::UniqueFd s(accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!s) die("accept");
    return s;
  }
  throw std::runtime_error(fmt::format("no listener on port {} (call listen first)", port));
}

void Sockets::established(const std::string& addr, uint16_t port, uint16_t local_port) {
  fds_.push_back(connect_to(addr, port, local_port));
  fds_.push_back(accept_from(port));
}

void Sockets::time_wait(const std::string& addr, uint16_t port, uint16_t local_port) {
  os::UniqueFd c = connect_to(addr, port, local_port);
  os::UniqueFd s = accept_from(port);
  c.reset();
  wait_eof(s.get());
  s.reset();
}

void Sockets::server_time_wait(const std::string& addr, uint16_t port) {
  os::UniqueFd c = connect_to(addr, port, 0);
  os::UniqueFd s = accept_from(port);
  s.reset();
  wait_eof(c.get());
  c.reset();
}

void Sockets::close_wait(const std::string& addr, uint16_t port) {
  os::UniqueFd c = connect_to(addr, port, 0);
  os::UniqueFd s = accept_from(port);
  shutdown(c.get(), SHUT_WR);
  wait_eof(s.get());
  fds_.push_back(std::move(c));
  fds_.push_back(std::move(s));
}

void Sockets::orphan_fin_wait2(const std::string& addr, uint16_t port) {
  os::UniqueFd c = connect_to(addr, port, 0);
  os::UniqueFd s = accept_from(port);
  c.reset();
  wait_eof(s.get());
  fds_.push_back(std::move(s));
}

void Sockets::syn_sent(const std::string& addr, uint16_t port) {
  os::UniqueFd owned = tcp_socket(addr);
  const int fd = owned.get();
  fcntl(fd, F_SETFL, O_NONBLOCK);
  sockaddr_storage ss;
  socklen_t n = make_addr(addr, port, &ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), n) == 0 || errno != EINPROGRESS)
    die("connect toward the dummy interface should be in progress");
  fds_.push_back(std::move(owned));
}

void Sockets::syn_recv(const std::string& addr, uint16_t port) {
  // The client's connect() completes on the SYN-ACK; only the listener waits for the ACK.
  fds_.push_back(connect_to(addr, port, 0));
}

namespace {
void drop_in(const std::string& netns, const std::string& table, const std::string& rule) {
  std::string cmd = fmt::format(
      "ip netns exec {0} nft -f - <<'EOF'\n"
      "table inet {1} {{\n"
      "  chain in {{ type filter hook input priority 0; {2} drop; }}\n"
      "}}\n"
      "EOF\n",
      netns, table, rule);
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot set up nft rule: " + cmd);
}
}  // namespace

void Sockets::drop_syns_to(const std::string& netns, uint16_t port) {
  drop_in(netns, "twtest", fmt::format("tcp dport {} tcp flags syn", port));
}

void Sockets::drop_acks_to(const std::string& netns, uint16_t port) {
  drop_in(netns, "twtest_ack", fmt::format("tcp dport {} tcp flags & (syn | ack) == ack", port));
}

}  // namespace tw::testing
