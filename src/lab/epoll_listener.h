// SPDX-License-Identifier: Apache-2.0
// What the lab's servers share: a non-blocking listening socket made inside a namespace, an epoll
// set watching it and a wake-up eventfd, and the one thread that serves them.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "lab/namespace.h"
#include "model/result.h"
#include "os/unique_fd.h"

namespace tw::lab {

struct EpollListener {
  os::UniqueFd listen_fd, epoll_fd, wake_fd;
  std::thread thread;
  std::atomic<bool> stop{false};

  // Listens on addr:port from a thread inside `ns` (the socket stays in that namespace; the
  // serving thread may run anywhere) and adds the socket and the wake-up fd to the epoll set.
  Status open(const Netns& ns, const std::string& addr, uint16_t port, bool reuseaddr);
  // Accepts the pending connections (up to 256 at a time), non-blocking and added to the epoll
  // set for input, and hands each new fd to `on_new`.
  template <class F>
  void accept_all(F on_new) {
    for (int k = 0; k < 256; ++k) {
      int c = accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) break;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = c;
      epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, c, &ev);
      on_new(c);  // which owns it from here
    }
  }
  // Sets `stop`, wakes the thread, joins it; the descriptors close after. Declare an
  // EpollListener after everything its thread uses, so that it is destroyed first.
  ~EpollListener();
};

}  // namespace tw::lab
