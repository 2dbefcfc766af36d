// SPDX-License-Identifier: Apache-2.0
// Small IPv4 socket helpers for lab traffic. A socket belongs to the network namespace of the
// thread that creates it: call these from a thread inside the right namespace (Netns::run_in).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "model/result.h"
#include "os/unique_fd.h"

namespace tw::lab {

sockaddr_in ipv4(const std::string& addr, uint16_t port);

// A listening socket (backlog 4096). rcvbuf > 0 sets SO_RCVBUF before listen(): accepted sockets
// inherit it.
Result<os::UniqueFd> tcp_listen(const std::string& addr, uint16_t port, bool reuseaddr,
                                int rcvbuf = 0);

struct ConnectOptions {
  uint16_t local_port = 0;  // 0: the kernel picks from ip_local_port_range
  bool reuseaddr = false;   // SO_REUSEADDR before bind (needed to rebind a fixed local port)
  int timeout_ms = 2000;
  // bind(bind_addr, local_port) before connect() when set (or when local_port is): the
  // bind-before-connect pattern of clients with several source addresses.
  std::string bind_addr;
  bool bind_address_no_port = false;  // IP_BIND_ADDRESS_NO_PORT before that bind (Linux 4.2)
  // IP_LOCAL_PORT_RANGE (Linux 6.3): this socket's own range, inclusive; 0/0 leaves it unset.
  uint16_t range_low = 0, range_high = 0;
};
// A blocking connect bounded by timeout_ms; the error names the call and errno ("bind for ...:
// Address already in use (EADDRINUSE)"), and errno holds it when the call returns.
Result<os::UniqueFd> tcp_connect(const std::string& addr, uint16_t port,
                                 const ConnectOptions& opts = {});

// Waits until fd is readable (or has an error/EOF pending) for at most ms.
bool wait_readable(int fd, int ms);
// Reads until EOF or error, at most `limit` bytes, each wait bounded by ms. Returns bytes read;
// *err gets errno of a failed read (ECONNRESET) or 0.
int64_t drain(int fd, int64_t limit, int ms, int* err);
// Writes all of buf (blocking socket); false on error.
bool write_all(int fd, const void* buf, size_t n);

uint16_t local_port_of(int fd);
void set_linger(int fd, bool on, int seconds);

}  // namespace tw::lab
