// SPDX-License-Identifier: Apache-2.0
#include "lab/epoll_listener.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lab/sockets.h"
#include "os/unique_fd.h"

namespace tw::lab {

Status EpollListener::open(const Netns& ns, const std::string& addr, uint16_t port,
                           bool reuseaddr) {
  Result<os::UniqueFd> fd = fail("not run");
  if (auto st = ns.run_in([&] { fd = tcp_listen(addr, port, reuseaddr); }); !st)
    return fail(st.error());
  if (!fd) return fail(fd.error());
  listen_fd = std::move(*fd);
  fcntl(listen_fd.get(), F_SETFL, O_NONBLOCK);  // the accept loops stop at EAGAIN
  epoll_fd.reset(epoll_create1(EPOLL_CLOEXEC));
  wake_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd.get();
  epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, listen_fd.get(), &ev);
  ev.data.fd = wake_fd.get();
  epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake_fd.get(), &ev);
  return {};
}

EpollListener::~EpollListener() {
  stop = true;
  uint64_t one = 1;
  if (wake_fd) (void)!write(wake_fd.get(), &one, sizeof one);
  if (thread.joinable()) thread.join();
}

}  // namespace tw::lab
