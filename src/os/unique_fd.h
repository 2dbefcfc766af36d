// SPDX-License-Identifier: Apache-2.0
// The one owner of a file descriptor: closed exactly once, by whoever holds it last. Every open(),
// socket(), epoll_create() or accept() result goes into one, so no error path needs a closer.
#pragma once

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <utility>

namespace tw::os {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives the descriptor up without closing it (the caller owns it now).
  int release() { return std::exchange(fd_, -1); }
  // Closes the held descriptor (if any) and holds `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes now and reports close()'s result (0, or -1 with errno): for the writes whose success
  // only close() tells. -1 with EBADF when nothing is held.
  int close() {
    const int fd = release();
    return fd >= 0 ? ::close(fd) : -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace tw::os
