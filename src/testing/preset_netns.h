// SPDX-License-Identifier: Apache-2.0
// A test fixture: a fresh network namespace holding a known mix of real sockets, for the tests
// that check what a live read of a namespace counts (the sampler's, the exporter's metrics).
// Expectations are written from the counts below, so the two suites agree on one set-up.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw::testing {

class PresetNetns : public ::testing::Test {
 protected:
  // Connected pairs to the IPv4 listener (two ESTABLISHED sockets each).
  static constexpr int kEstablished = 3;
  // Client-side TIME_WAITs toward the IPv4 and the IPv6 listener.
  static constexpr int kTimeWait4 = 6, kTimeWait6 = 2;
  // IPv4 pairs whose client shut down its sending side: server CLOSE_WAIT, client FIN_WAIT1
  // until the ACK of its FIN lands, then FIN_WAIT2.
  static constexpr int kCloseWait = 1;
  // Plus one listener on 127.0.0.1 and one on ::1.

  static void SetUpTestSuite() { ScopedNetns::remove_stale(); }
  void SetUp() override;

  std::unique_ptr<ScopedNetns> ns_;
  Sockets socks_;
  uint16_t port4_ = 0, port6_ = 0;  // the listeners' ports
};

}  // namespace tw::testing
