// SPDX-License-Identifier: Apache-2.0
// For tests: what every reader of the socket table (inet_diag, the BPF walk and iterator, the one
// walk of every namespace) must say alike about a socket: state, both ends, uid, inode. Timers
// move between reads, and the dump has no reuse or mini flags.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "model/socket.h"

namespace tw::testing {

using SocketKey = std::tuple<int, std::string, uint16_t, std::string, uint16_t, uint32_t, uint64_t>;

inline SocketKey socket_key(const Socket& s) {
  return {static_cast<int>(s.state),
          s.local.addr.to_string(),
          s.local.port,
          s.remote.addr.to_string(),
          s.remote.port,
          s.uid,
          s.inode};
}

}  // namespace tw::testing
