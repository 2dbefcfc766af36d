// SPDX-License-Identifier: Apache-2.0
#include "lab/packets.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lab/sockets.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
void put16(uint8_t* p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v & 0xff;
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

bool parse(const uint8_t* d, size_t n, TcpPacket* out) {
  if (n < 20 || (d[0] >> 4) != 4 || d[9] != IPPROTO_TCP) return false;
  size_t ihl = (d[0] & 0x0f) * 4;
  size_t total = be16(d + 2);
  if (total > n || ihl + 20 > total) return false;
  std::memcpy(&out->saddr, d + 12, 4);
  std::memcpy(&out->daddr, d + 16, 4);
  const uint8_t* t = d + ihl;
  size_t doff = (t[12] >> 4) * 4;
  if (doff < 20 || ihl + doff > total) return false;
  out->sport = be16(t);
  out->dport = be16(t + 2);
  out->seq = be32(t + 4);
  out->ack = be32(t + 8);
  out->flags = t[13];
  out->payload = uint32_t(total - ihl - doff);
  for (size_t i = 20; i < doff;) {
    uint8_t kind = t[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= doff || t[i + 1] < 2) break;
    if (kind == 8 && t[i + 1] == 10 && i + 10 <= doff) {
      out->has_ts = true;
      out->tsval = be32(t + i + 2);
      out->tsecr = be32(t + i + 6);
    }
    i += t[i + 1];
  }
  return true;
}

}  // namespace

std::string TcpPacket::describe() const {
  std::string s;
  auto add = [&](const char* f) { s += s.empty() ? f : std::string("-") + f; };
  if (syn()) add("SYN");
  if (fin()) add("FIN");
  if (rst()) add("RST");
  if (ack_flag()) add("ACK");
  return s.empty() ? "no flags" : s;
}

Result<Capture> Capture::open(const Netns& ns, const std::string& interface) {
  Status out;
  os::UniqueFd fd_out;
  auto st = ns.run_in([&] {
    // ETH_P_ALL: only "all protocols" taps see outgoing packets (dev_queue_xmit_nit).
    os::UniqueFd owned(
        socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)));
    const int fd = owned.get();
    if (!owned) {
      out = fail(fmt::format("AF_PACKET socket: {} (needs CAP_NET_RAW)", std::strerror(errno)));
      return;
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = int(if_nametoindex(interface.c_str()));
    if (sll.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      out = fail(fmt::format("cannot capture on {} in {}", interface, ns.name()));
      return;
    }
    fd_out = std::move(owned);
  });
  if (!st) return fail(st.error());
  if (!out) return fail(out.error());
  return Capture(std::move(fd_out));
}

std::vector<TcpPacket> Capture::take(int wait_ms) {
  std::vector<TcpPacket> out;
  if (wait_ms > 0) {
    pollfd p{fd_.get(), POLLIN, 0};
    poll(&p, 1, wait_ms);
  }
  uint8_t buf[2048];
  for (int i = 0; i < 100000; ++i) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) break;
    TcpPacket p;
    if (from.sll_protocol != htons(ETH_P_IP) || !parse(buf, size_t(n), &p)) continue;
    p.outgoing = from.sll_pkttype == PACKET_OUTGOING;
    out.push_back(p);
  }
  return out;
}

Status send_raw_syn(const Netns& ns, const SynProbe& p) {
  uint8_t seg[40] = {};
  size_t len = p.timestamps ? 36 : 24;  // header, MSS, and NOP NOP TS when timestamps are on
  put16(seg, p.sport);
  put16(seg + 2, p.dport);
  put32(seg + 4, p.seq);
  seg[12] = uint8_t((len / 4) << 4);
  seg[13] = 0x02;  // SYN
  put16(seg + 14, 64240);
  seg[20] = 2;  // MSS 1460
  seg[21] = 4;
  put16(seg + 22, 1460);
  if (p.timestamps) {
    seg[24] = 1;
    seg[25] = 1;
    seg[26] = 8;
    seg[27] = 10;
    put32(seg + 28, p.tsval);
    put32(seg + 32, 0);
  }
  sockaddr_in src = ipv4(p.src, 0), dst = ipv4(p.dst, 0);
  // Checksum over the pseudo-header (addresses, protocol, length) and the segment.
  uint32_t sum = 0;
  auto add = [&](const uint8_t* b, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += be16(b + i);
  };
  add(reinterpret_cast<uint8_t*>(&src.sin_addr), 4);
  add(reinterpret_cast<uint8_t*>(&dst.sin_addr), 4);
  sum += IPPROTO_TCP + len;
  add(seg, len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(seg + 16, uint16_t(~sum));

  Status result;
  auto st = ns.run_in([&] {
    os::UniqueFd fd(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP));
    if (!fd) {
      result = fail(fmt::format("raw socket: {} (needs CAP_NET_RAW)", std::strerror(errno)));
      return;
    }
    if (sendto(fd.get(), seg, len, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) !=
        ssize_t(len))
      result = fail(fmt::format("sending the raw SYN failed: {}", std::strerror(errno)));
  });
  if (!st) return st;
  return result;
}

}  // namespace tw::lab
