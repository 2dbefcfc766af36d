// SPDX-License-Identifier: Apache-2.0
#include "testing/hostile_clients.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "os/unique_fd.h"

namespace tw::testing {

using Clock = std::chrono::steady_clock;

os::UniqueFd connect_from_address(const std::string& source, int port) {
  os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int fd = owned.get();
  if (!owned) return {};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, source.c_str(), &a.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return {};
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS)
    return {};
  return owned;
}

std::string request_from(const std::string& source, int port, const std::string& raw,
                         double seconds) {
  const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  const os::UniqueFd owned = connect_from_address(source, port);
  const int fd = owned.get();
  if (!owned) return "";
  size_t sent = 0;
  std::string out;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, static_cast<short>(POLLIN | (sent < raw.size() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if ((p.revents & POLLOUT) && sent < raw.size()) {
      const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  return out;
}

long rss_kib(int pid) {
  std::ifstream in(pid ? fmt::format("/proc/{}/status", pid) : "/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

int open_fds(int pid) {
  DIR* d = opendir(pid ? fmt::format("/proc/{}/fd", pid).c_str() : "/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (readdir(d)) ++n;
  closedir(d);
  return n - 2 - (pid ? 0 : 1);  // . and .. (and the directory's own descriptor)
}

HostileClients::HostileClients(HostileOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

HostileClients::~HostileClients() { stop(); }

void HostileClients::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

namespace {
enum class Kind { kIdle, kSlow, kFlood };
struct Client {
  Kind kind;
  std::string from;
  os::UniqueFd fd;
  bool connected = false;
  size_t sent = 0;  // of the current chunk
  std::string chunk;
  Clock::time_point next{};
};
}  // namespace

void HostileClients::loop() {
  const std::string start = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string line = "X-Flood: " + std::string(8192, 'a') + "\r\n";
  std::vector<Client> clients;
  size_t i = 0;
  auto add = [&](Kind k, int n) {
    for (int j = 0; j < n; ++j, ++i)
      clients.push_back(Client{k, options_.from[i % options_.from.size()]});
  };
  add(Kind::kIdle, options_.idle);
  add(Kind::kSlow, options_.slow);
  add(Kind::kFlood, options_.floods);

  // Drops a connection; the loop connects again after reconnect_after.
  auto drop = [&](Client& c) {
    c.fd.reset();
    if (c.connected) --open_;
    c.connected = false;
    c.next = Clock::now() + options_.reconnect_after;
  };
  auto connect_now = [&](Client& c) {
    c.fd = connect_from_address(c.from, options_.port);
    c.connected = false;
    c.sent = 0;
    c.chunk = c.kind == Kind::kIdle ? "" : start;
    c.next = Clock::now();
    if (c.fd)
      ++connects_;
    else
      c.next += options_.reconnect_after;
  };
  for (auto& c : clients) connect_now(c);

  std::vector<pollfd> fds;
  char buf[4096];
  while (!stop_) {
    fds.clear();
    const auto now = Clock::now();
    for (auto& c : clients) {
      short ev = POLLIN;
      if (!c.connected || c.kind == Kind::kFlood || (c.kind == Kind::kSlow && now >= c.next))
        ev |= POLLOUT;
      fds.push_back({c.fd.get(), ev, 0});
    }
    if (poll(fds.data(), fds.size(), 50) < 0 && errno != EINTR) break;
    const auto t = Clock::now();
    for (size_t k = 0; k < clients.size(); ++k) {
      Client& c = clients[k];
      const short re = fds[k].revents;
      if (!c.fd) {
        if (t >= c.next) connect_now(c);
        continue;
      }
      if (re & (POLLERR | POLLHUP | POLLIN)) {
        // Anything from the server (an error answer, the end): it was cut; come again.
        const ssize_t n = recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
          if (c.connected) ++cut_;
          drop(c);
          continue;
        }
      }
      if (!(re & POLLOUT)) continue;
      if (!c.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          drop(c);
          continue;
        }
        c.connected = true;
        ++open_;
      }
      if (c.kind == Kind::kIdle) continue;
      if (c.kind == Kind::kSlow) {
        if (t < c.next) continue;
        // The request line and Host at once, then a byte of a header per drip, never ending.
        const std::string_view what =
            c.sent < c.chunk.size() ? std::string_view(c.chunk).substr(c.sent) : "X";
        const ssize_t n = send(c.fd.get(), what.data(), c.sent < c.chunk.size() ? what.size() : 1,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0 && c.sent < c.chunk.size()) c.sent += static_cast<size_t>(n);
        c.next = t + options_.drip;
        continue;
      }
      // A flood: the request line, then 8 KiB header lines as fast as the server takes them.
      if (c.sent >= c.chunk.size()) {
        c.chunk = line;
        c.sent = 0;
      }
      const ssize_t n = send(c.fd.get(), c.chunk.data() + c.sent, c.chunk.size() - c.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
        flood_bytes_ += n;
      }
    }
  }
  clients.clear();
  open_ = 0;
}

}  // namespace tw::testing
