// SPDX-License-Identifier: Apache-2.0
#include "os/stop_signals.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace tw::os {
namespace {

bool is_default(int sig) {
  struct sigaction now {};
  sigaction(sig, nullptr, &now);
  return now.sa_handler == SIG_DFL;
}

TEST(StopSignals, EachSignalOnlyRaisesTheFlag) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    ASSERT_TRUE(is_default(sig));
    {
      StopSignals guard;
      EXPECT_FALSE(stop_requested());
      ASSERT_EQ(raise(sig), 0);  // the process lives on
      EXPECT_TRUE(stop_requested()) << sig;
    }
    EXPECT_TRUE(is_default(sig)) << "the previous handler is back";
  }
}

TEST(StopSignals, ANewGuardStartsCleared) {
  {
    StopSignals guard;
    request_stop();
    EXPECT_TRUE(stop_requested());
  }
  StopSignals again;
  EXPECT_FALSE(stop_requested());
}

// No SA_RESTART: a wait in progress returns EINTR, so the loop around it sees the flag at once.
TEST(StopSignals, InterruptsAWait) {
  StopSignals guard;
  // SIGALRM's default would end the process: the timer delivers SIGINT instead.
  timer_t timer;
  struct sigevent ev {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGINT;
  ASSERT_EQ(timer_create(CLOCK_MONOTONIC, &ev, &timer), 0);
  struct itimerspec in {};
  in.it_value.tv_nsec = 50'000'000;
  ASSERT_EQ(timer_settime(timer, 0, &in, nullptr), 0);
  const int rc = poll(nullptr, 0, 60'000);
  const int err = errno;
  timer_delete(timer);
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(err, EINTR);
  EXPECT_TRUE(stop_requested());
}

}  // namespace
}  // namespace tw::os
