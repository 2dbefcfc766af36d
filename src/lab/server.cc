// SPDX-License-Identifier: Apache-2.0
#include "lab/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "lab/sockets.h"
#include "os/unique_fd.h"

namespace tw::lab {

Result<std::unique_ptr<Server>> Server::start(const Netns& ns, ServerConfig config) {
  std::unique_ptr<Server> s(new Server);
  s->config_ = std::move(config);
  if (auto st = s->io_.open(ns, s->config_.addr, s->config_.port, s->config_.reuseaddr); !st)
    return fail(st.error());
  // The listening socket already lives in the server namespace; the loop may run anywhere.
  s->io_.thread = std::thread([p = s.get()] { p->loop(); });
  return s;
}

Server::~Server() = default;  // io_ stops and joins the thread first

void Server::loop() {
  std::unordered_map<int, os::UniqueFd> conns;
  epoll_event events[256];
  char buf[4096];
  char answers[4096];
  std::memset(answers, '!', sizeof answers);
  auto drop = [&](int fd) {
    conns.erase(fd);  // closes it, which also removes it from the epoll set
  };
  while (!io_.stop) {
    int n = epoll_wait(io_.epoll_fd.get(), events, 256, 200);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == io_.wake_fd.get()) continue;
      if (fd == io_.listen_fd.get()) {
        io_.accept_all([&](int c) {
          ++accepted_;
          conns.emplace(c, os::UniqueFd(c));
        });
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {  // the client closed (or reset): close our side
        drop(fd);
        continue;
      }
      requests_ += r;
      (void)!write(fd, answers, r);
      if (config_.mode == CloseMode::kServerFirst) drop(fd);
    }
  }
}

}  // namespace tw::lab
