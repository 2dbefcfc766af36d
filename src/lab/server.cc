#include "lab/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "lab/sockets.h"

namespace tw::lab {

Result<std::unique_ptr<Server>> Server::start(const Netns& ns, ServerConfig config) {
  std::unique_ptr<Server> s(new Server);
  s->config_ = std::move(config);
  Result<int> fd = fail("not run");
  if (auto st = ns.run_in(
          [&] { fd = tcp_listen(s->config_.addr, s->config_.port, s->config_.reuseaddr); });
      !st)
    return fail(st.error());
  if (!fd) return fail(fd.error());
  s->listen_fd_ = *fd;
  fcntl(s->listen_fd_, F_SETFL, O_NONBLOCK);  // the accept loop stops at EAGAIN
  s->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->listen_fd_, &ev);
  ev.data.fd = s->wake_fd_;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->wake_fd_, &ev);
  // The listening socket already lives in the server namespace; the loop may run anywhere.
  s->thread_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

Server::~Server() {
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(epoll_fd_);
  close(wake_fd_);
}

void Server::loop() {
  std::unordered_set<int> conns;
  epoll_event events[256];
  char buf[4096];
  char answers[4096];
  std::memset(answers, '!', sizeof answers);
  auto drop = [&](int fd) {
    conns.erase(fd);
    close(fd);  // also removes it from the epoll set
  };
  while (!stop_) {
    int n = epoll_wait(epoll_fd_, events, 256, 200);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      if (fd == listen_fd_) {
        for (int k = 0; k < 256; ++k) {
          int c = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ++accepted_;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = c;
          epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c, &ev);
          conns.insert(c);
        }
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
  for (int fd : conns) close(fd);
}

}  // namespace tw::lab
