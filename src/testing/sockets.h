// SPDX-License-Identifier: Apache-2.0
// Test helpers that put real kernel sockets into chosen TCP states, in the calling thread's
// network namespace (use EnterNetns first). Each returns file descriptors the test owns; a
// Sockets object closes what it holds when destroyed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "os/unique_fd.h"

namespace tw::testing {

class Sockets {
 public:
  ~Sockets();

  // A listening socket on addr:port (port 0 = any); returns the bound port.
  uint16_t listen(const std::string& addr, uint16_t port = 0);
  // A connected pair to a listener made by listen(): client and accepted server fds. local_port
  // 0 lets the kernel choose from ip_local_port_range.
  void established(const std::string& addr, uint16_t port, uint16_t local_port = 0);
  // The client closes first and the server then closes: the client holds TIME_WAIT.
  void time_wait(const std::string& addr, uint16_t port, uint16_t local_port = 0);
  // The server closes first: the server's accepted socket holds TIME_WAIT.
  void server_time_wait(const std::string& addr, uint16_t port);
  // The client shuts down its sending side and keeps its fd: client FIN_WAIT2 (a full socket),
  // server CLOSE_WAIT.
  void close_wait(const std::string& addr, uint16_t port);
  // The client closes and the server never does: the orphaned client becomes a FIN_WAIT2
  // mini-socket, the server stays in CLOSE_WAIT.
  void orphan_fin_wait2(const std::string& addr, uint16_t port);
  // A non-blocking connect whose SYN is dropped on arrival: SYN_SENT (retrying). Needs
  // `drop_syns_to(netns, port)` done once in the namespace.
  void syn_sent(const std::string& addr, uint16_t port);

  // A connect to a listener whose handshake's last ACK is dropped: the client is ESTABLISHED,
  // the listener holds a request socket (SYN_RECV, retrying its SYN-ACK). Needs
  // `drop_acks_to(netns, port)` done once in the namespace.
  void syn_recv(const std::string& addr, uint16_t port);

  // An nftables rule in the namespace's input hook that drops SYNs to `port` (the black hole
  // syn_sent() needs; this kernel has no dummy interface to route into).
  static void drop_syns_to(const std::string& netns, uint16_t port);
  // One that drops every segment to `port` carrying ACK without SYN (what syn_recv() needs).
  static void drop_acks_to(const std::string& netns, uint16_t port);

  void add(int fd) { fds_.emplace_back(fd); }  // takes it over
  size_t size() const { return fds_.size(); }

 private:
  os::UniqueFd accept_from(uint16_t port);
  std::vector<os::UniqueFd> fds_;
  std::vector<std::pair<uint16_t, os::UniqueFd>> listeners_;  // port -> fd
};

}  // namespace tw::testing
