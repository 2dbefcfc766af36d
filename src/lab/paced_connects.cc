// SPDX-License-Identifier: Apache-2.0
#include "lab/paced_connects.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "lab/sockets.h"
#include "lab/stop.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  Clock::time_point start;
  bool connected = false;
  bool answered = false;
  os::UniqueFd fd;
};

void run(const PacedConfig& c, PacedStats& s) {
  const os::UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  const int ep = epoll.get();
  std::unordered_map<int, Conn> live;
  sockaddr_in dst = ipv4(c.addr, c.port);
  const auto t0 = Clock::now();
  const auto stop_starting = t0 + std::chrono::microseconds(int64_t(c.seconds * 1e6));
  const auto timeout = std::chrono::milliseconds(c.timeout_ms);
  // A hard bound for the whole run, whatever happens to the connections.
  const auto hard_stop = stop_starting + timeout + std::chrono::seconds(1);
  auto note = [&](int err) {
    if (s.first_error.empty()) s.first_error = strerrorname_np(err);
  };
  auto end = [&](int fd, int64_t* bucket, int err) {
    if (bucket) ++*bucket;
    if (err) note(err);
    live.erase(fd);  // closes it
  };
  epoll_event events[256];
  char req = '?', buf[64];
  while (!stop_requested() && Clock::now() < hard_stop) {
    auto now = Clock::now();
    while (now < stop_starting && (int)live.size() < c.max_in_flight) {
      auto slot = t0 + std::chrono::microseconds(int64_t(s.attempted * 1e6 / c.rate));
      if (slot > now) break;
      ++s.attempted;
      os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      const int fd = owned.get();
      if (!owned) {
        ++s.other;
        note(errno);
        continue;
      }
      if (!c.sources.empty()) {
        int one = 1;
        sockaddr_in src = ipv4(c.sources[(s.attempted - 1) % c.sources.size()], 0);
        if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0 ||
            bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
          ++s.other;
          note(errno);
          continue;
        }
      }
      live[fd] = Conn{.start = Clock::now(), .fd = std::move(owned)};
      if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
        int err = errno;
        end(fd, err == ECONNREFUSED ? &s.refused : &s.other, err);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    if (now >= stop_starting && live.empty()) break;
    int n = epoll_wait(ep, events, 256, 2);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      auto it = live.find(fd);
      if (it == live.end()) continue;
      Conn& conn = it->second;
      if (!conn.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          end(fd, err == ECONNREFUSED ? &s.refused : err == ECONNRESET ? &s.reset : &s.other, err);
          continue;
        }
        if (!(events[i].events & EPOLLOUT)) continue;
        conn.connected = true;
        if (write(fd, &req, 1) != 1) {
          end(fd, &s.reset, errno);
          continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r > 0) {
        conn.answered = true;
        continue;
      }
      if (r == 0 && conn.answered) {  // the server's FIN after its answer: done
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - conn.start).count();
        s.max_ms = std::max(s.max_ms, ms);
        if (ms > 900) ++s.slow;
        if (ms > 900 && ms < 2500) ++s.delayed_1s;
        end(fd, &s.ok, 0);
        continue;
      }
      end(fd, &s.reset, r < 0 ? errno : ECONNRESET);
    }
    // Connections past their deadline have failed.
    now = Clock::now();
    for (auto it = live.begin(); it != live.end();) {
      if (now - it->second.start < timeout) {
        ++it;
        continue;
      }
      ++s.timed_out;
      note(ETIMEDOUT);
      it = live.erase(it);
    }
  }
  s.timed_out += static_cast<int64_t>(live.size());
  live.clear();
  s.seconds = std::min(c.seconds, std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace

Result<PacedStats> run_paced_connects(const Netns& client, const PacedConfig& config) {
  if (config.rate <= 0) return fail("the connection rate must be positive");
  PacedStats s;
  if (auto st = client.run_in([&] { run(config, s); }); !st) return fail(st.error());
  return s;
}

}  // namespace tw::lab
