// SPDX-License-Identifier: Apache-2.0
// Packet-level tools for the SYN-into-TIME_WAIT experiment: an AF_PACKET capture of one interface
// (both directions) and a raw socket that sends a hand-made TCP SYN.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lab/namespace.h"
#include "model/result.h"
#include "os/unique_fd.h"

namespace tw::lab {

struct TcpPacket {
  bool outgoing = false;          // sent by the capturing namespace
  uint32_t saddr = 0, daddr = 0;  // network byte order
  uint16_t sport = 0, dport = 0;  // host byte order
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;  // TH_FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10
  uint32_t payload = 0;
  bool has_ts = false;
  uint32_t tsval = 0, tsecr = 0;

  bool syn() const { return flags & 0x02; }
  bool ack_flag() const { return flags & 0x10; }
  bool rst() const { return flags & 0x04; }
  bool fin() const { return flags & 0x01; }
  // "SYN-ACK", "ACK", "RST", "FIN-ACK", ...
  std::string describe() const;
};

// Captures IPv4 TCP packets on one interface of a namespace.
class Capture {
 public:
  static Result<Capture> open(const Netns& ns, const std::string& interface);
  Capture(Capture&& o) noexcept = default;
  // Packets received since the last call (waits up to wait_ms for the first one).
  std::vector<TcpPacket> take(int wait_ms = 0);

 private:
  explicit Capture(os::UniqueFd fd) : fd_(std::move(fd)) {}
  os::UniqueFd fd_;
};

struct SynProbe {
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0;
  bool timestamps = false;
  uint32_t tsval = 0;
};

// Sends one SYN from a raw socket created in `ns` (the kernel adds the IP header).
Status send_raw_syn(const Netns& ns, const SynProbe& probe);

}  // namespace tw::lab
