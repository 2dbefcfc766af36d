// SPDX-License-Identifier: Apache-2.0
// The connection's stream on a socket pair: a request already waiting is read even past the
// deadline (a scrape queued behind busy workers is late, not slow), a read that would wait past
// it gives up and says so, and a peer gone mid-answer is an error, not SIGPIPE.
#include "exporter/connection_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace tw {
namespace {

using namespace std::chrono_literals;
using Clock = ConnectionStream::Clock;

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
};

std::string read_all(ConnectionStream& s, size_t n) {
  std::string out;
  char c;
  while (out.size() < n && s.read(&c, 1) == 1) out += c;
  return out;
}

TEST(ConnectionStream, AWaitingRequestIsReadPastTheDeadline) {
  Pair p;
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(p.fd[1], req.data(), req.size()), ssize_t(req.size()));
  ConnectionStream s(p.fd[0], Clock::now() - 1s, 5000ms, 5000ms);
  EXPECT_EQ(read_all(s, req.size()), req);
  EXPECT_FALSE(s.missed_deadline());
  // Nothing more came: the next read gives up at once, at the deadline, not the 5 s timeout.
  const auto t0 = Clock::now();
  char c;
  EXPECT_EQ(s.read(&c, 1), -1);
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_TRUE(s.missed_deadline());
}

TEST(ConnectionStream, AnIdleClientMeetsTheReadTimeoutNotTheDeadline) {
  Pair p;
  ConnectionStream s(p.fd[0], Clock::now() + 60s, 200ms, 200ms);
  char c;
  EXPECT_EQ(s.read(&c, 1), -1);
  EXPECT_FALSE(s.missed_deadline());
  close(p.fd[1]);
  p.fd[1] = -1;
  EXPECT_EQ(s.read(&c, 1), 0);  // end of file
}

TEST(ConnectionStream, APeerGoneMidAnswerIsAnError) {
  Pair p;
  close(p.fd[1]);
  p.fd[1] = -1;
  ConnectionStream s(p.fd[0], Clock::now() + 5s, 1000ms, 1000ms);
  const std::string body(100000, 'x');
  EXPECT_LT(s.write(body.data(), body.size()), 0);  // EPIPE, the process still here
}

}  // namespace
}  // namespace tw
