// SPDX-License-Identifier: Apache-2.0
#include "testing/preset_netns.h"

namespace tw::testing {

void PresetNetns::SetUp() {
  ns_ = std::make_unique<ScopedNetns>();
  EnterNetns in(ns_->name());
  port4_ = socks_.listen("127.0.0.1");
  port6_ = socks_.listen("::1");
  for (int i = 0; i < kEstablished; ++i) socks_.established("127.0.0.1", port4_);
  for (int i = 0; i < kTimeWait4; ++i) socks_.time_wait("127.0.0.1", port4_);
  for (int i = 0; i < kTimeWait6; ++i) socks_.time_wait("::1", port6_);
  for (int i = 0; i < kCloseWait; ++i) socks_.close_wait("127.0.0.1", port4_);
}

}  // namespace tw::testing
