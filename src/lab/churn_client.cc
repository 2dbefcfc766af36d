// SPDX-License-Identifier: Apache-2.0
#include "lab/churn_client.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "lab/sockets.h"
#include "lab/stop.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Tracker {
  ChurnStats stats;
  Clock::time_point t0 = Clock::now();
  Clock::time_point resume_at = t0;

  void not_available(const ChurnConfig& c) {
    if (stats.eaddrnotavail++ == 0) {
      stats.first_eaddrnotavail_s = since(t0);
      stats.connects_before_failure = stats.connects;
      stats.started_before_failure = stats.started;
    }
    resume_at = Clock::now() + std::chrono::microseconds(int64_t(c.backoff_ms * 1000));
  }
  void other(int err) {
    if (stats.other_errors++ == 0) stats.first_other_error = strerrorname_np(err);
  }
  // A connect() that failed with `err`: out of local ports, or something else.
  void connect_failed(int err, const ChurnConfig& c) {
    if (err == EADDRNOTAVAIL)
      not_available(c);
    else
      other(err);
  }
  bool done(const ChurnConfig& c) const {
    return stop_requested() || since(t0) >= c.seconds ||
           (c.max_connects > 0 && stats.connects >= c.max_connects);
  }
  // The time the started-th connection may start at `rate`.
  Clock::time_point slot(const ChurnConfig& c, int64_t started) const {
    if (c.rate <= 0) return resume_at;
    auto t = t0 + std::chrono::microseconds(int64_t(started * 1e6 / c.rate));
    return std::max(t, resume_at);
  }
};

void epoll_loop(const ChurnConfig& c, Tracker& tr) {
  enum class Phase { kConnecting, kAwaitingAnswer };
  struct Live {
    Phase phase = Phase::kConnecting;
    os::UniqueFd fd;
  };
  const os::UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  const int ep = epoll.get();
  std::unordered_map<int, Live> live;
  sockaddr_in dst = ipv4(c.addr, c.port);
  int64_t& started = tr.stats.started;
  char req = '?', ans;
  epoll_event events[256];
  auto finish = [&](int fd, bool ok) {
    live.erase(fd);  // closes it
    if (ok) ++tr.stats.connects;
  };
  auto await_answer = [&](int fd, int op) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, op, fd, &ev);
    live[fd].phase = Phase::kAwaitingAnswer;
  };
  while (!tr.done(c)) {
    // Start connections while slots allow; in-flight ones are bounded by the concurrency.
    while ((int)live.size() < c.concurrency && Clock::now() >= tr.slot(c, started) &&
           (c.max_connects <= 0 || started < c.max_connects)) {
      os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      const int fd = owned.get();
      if (!owned) {
        tr.other(errno);
        break;
      }
      if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
        int err = errno;
        owned.reset();
        tr.connect_failed(err, c);
        break;
      }
      ++started;
      live[fd].fd = std::move(owned);
      // On a veth the handshake often completes inside connect(): send the request at once and
      // skip a wait for writability.
      if (write(fd, &req, 1) == 1) {
        await_answer(fd, EPOLL_CTL_ADD);
      } else {
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        live[fd].phase = Phase::kConnecting;
      }
    }
    int timeout_ms = 10;
    if ((int)live.size() < c.concurrency) {
      auto wait = tr.slot(c, started) - Clock::now();
      timeout_ms = std::clamp<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(wait).count(), 0, 10);
    }
    int n = epoll_wait(ep, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      auto it = live.find(fd);
      if (it == live.end()) continue;
      if (it->second.phase == Phase::kConnecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || write(fd, &req, 1) != 1) {
          tr.other(err ? err : errno);
          finish(fd, false);
          continue;
        }
        await_answer(fd, EPOLL_CTL_MOD);
        continue;
      }
      ssize_t r = read(fd, &ans, 1);
      if (r < 0 && errno == EAGAIN) continue;
      if (r != 1) tr.other(r < 0 ? errno : ECONNRESET);
      finish(fd, r == 1);  // the client closes first: the client keeps the TIME_WAIT
    }
  }
  live.clear();
}

void blocking_loop(const ChurnConfig& c, Tracker& tr) {
  sockaddr_in dst = ipv4(c.addr, c.port);
  char req = '?', ans;
  int64_t& started = tr.stats.started;
  while (!tr.done(c)) {
    auto slot = tr.slot(c, started);
    if (Clock::now() < slot) std::this_thread::sleep_until(slot);
    os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int fd = owned.get();
    if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      int err = errno;
      owned.reset();
      tr.connect_failed(err, c);
      continue;
    }
    ++started;
    bool ok = write(fd, &req, 1) == 1 && read(fd, &ans, 1) == 1;
    if (!ok) tr.other(errno);
    owned.reset();
    if (ok) ++tr.stats.connects;
  }
}

Result<ChurnStats> run(const Netns& client, const ChurnConfig& c, bool epoll) {
  Tracker tr;
  auto st = client.run_in([&] {
    tr.t0 = tr.resume_at = Clock::now();
    if (epoll)
      epoll_loop(c, tr);
    else
      blocking_loop(c, tr);
    tr.stats.seconds = since(tr.t0);
  });
  if (!st) return fail(st.error());
  return tr.stats;
}

}  // namespace

Result<ChurnStats> run_churn_epoll(const Netns& client, const ChurnConfig& c) {
  return run(client, c, true);
}

Result<ChurnStats> run_churn_blocking(const Netns& client, const ChurnConfig& c) {
  return run(client, c, false);
}

}  // namespace tw::lab
