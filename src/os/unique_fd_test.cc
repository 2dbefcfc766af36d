// SPDX-License-Identifier: Apache-2.0
#include "os/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace tw::os {
namespace {

// Whether fd is an open descriptor of this process.
bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

// A pipe whose write end tells, through the read end, when it has been closed: read() returns 0
// (end of file) only once every copy of the write end is gone.
struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    r.reset(p[0]);
    w.reset(p[1]);
  }
  bool writer_closed() const {
    char c;
    return read(r.get(), &c, 1) == 0;
  }
};

TEST(UniqueFd, ClosesWhenItGoesOutOfScope) {
  Pipe p;
  const int fd = p.w.get();
  { UniqueFd owner(p.w.release()); }
  EXPECT_FALSE(is_open(fd));
  EXPECT_TRUE(p.writer_closed());
}

TEST(UniqueFd, MoveHandsOverOwnershipAndClosesOnce) {
  Pipe p;
  const int fd = p.w.get();
  {
    UniqueFd a(p.w.release());
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), fd);
    EXPECT_FALSE(p.writer_closed());
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), fd);
    EXPECT_TRUE(is_open(fd));
    c = UniqueFd();  // closes the held one
    EXPECT_FALSE(is_open(fd));
    EXPECT_TRUE(p.writer_closed());
    // The next descriptor gets the freed number; the moved-from owners going out of scope below
    // must not close it again.
    p.w.reset(dup(p.r.get()));
    ASSERT_EQ(p.w.get(), fd);
  }
  EXPECT_TRUE(is_open(fd));
}

TEST(UniqueFd, ReleaseGivesUpWithoutClosing) {
  Pipe p;
  int fd;
  {
    UniqueFd owner(p.w.release());
    fd = owner.release();
    EXPECT_EQ(owner.get(), -1);
  }
  EXPECT_TRUE(is_open(fd));
  EXPECT_FALSE(p.writer_closed());
  ::close(fd);
}

TEST(UniqueFd, ResetClosesTheOldOne) {
  Pipe p, q;
  UniqueFd owner(p.w.release());
  const int old = owner.get();
  owner.reset(q.w.release());
  EXPECT_FALSE(is_open(old));
  EXPECT_TRUE(p.writer_closed());
  EXPECT_FALSE(q.writer_closed());
}

TEST(UniqueFd, CloseReportsItsResultOnce) {
  Pipe p;
  UniqueFd owner(p.w.release());
  EXPECT_EQ(owner.close(), 0);
  EXPECT_FALSE(owner.valid());
  EXPECT_EQ(owner.close(), -1);  // nothing held: no second close of a reused number
}

}  // namespace
}  // namespace tw::os
