// SPDX-License-Identifier: Apache-2.0
// For tests: a kernel-side summary key from a few readable values (IPv4).
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "bpf/trace_events.h"

namespace tw::testing {

inline tw_flow_key flow_key(uint32_t pid, const char* comm, uint8_t role, const char* laddr,
                            uint16_t lport, const char* raddr, uint16_t rport) {
  tw_flow_key k{};
  k.pid = pid;
  std::strncpy(k.comm, comm, sizeof k.comm - 1);
  k.family = AF_INET;
  k.role = role;
  k.lport = lport;
  k.rport = rport;
  inet_pton(AF_INET, laddr, k.laddr);
  inet_pton(AF_INET, raddr, k.raddr);
  return k;
}

}  // namespace tw::testing
