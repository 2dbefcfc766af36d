// SPDX-License-Identifier: Apache-2.0
// The floor for the census benchmark: the least work any inet_diag reader must do. It dumps TCP
// sockets with a state mask, walks the netlink headers to count them and discards everything
// else. A census cannot be faster than the same request made here; `bench/run.sh` reports how
// close it comes.
//
//   diag_floor [--states all|time-wait|established|0xMASK] [--netns NAME]
//              [--family 4|6|both | --unspec] [--split P] [--reject-all]
//
// Default: one SOCK_DIAG_BY_FAMILY dump for AF_INET, then one for AF_INET6 (what the census and
// ss 6.1 send; each dump walks the kernel's whole established hash). Experiments, to find where
// the time goes:
//   --unspec      one legacy TCPDIAG_GETSOCK dump (inet_diag's original request, struct
//                 inet_diag_req): the kernel dumps it as family AF_UNSPEC and walks its socket
//                 hash once for both families instead of twice. bench/run.sh's floor.
//   --split P     P concurrent dumps on P threads, each for a slice of the source-port range
//                 (bytecode filter), to see whether the kernel's work spreads over CPUs.
//   --reject-all  a bytecode filter that matches nothing: the cost of the kernel's walk alone.
// Prints the number of sockets seen. Exit status 1 on any error.
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint32_t kAllStates = 0xffe;  // bits 1..11: every TCP state

struct Request {
  uint32_t states = kAllStates;
  bool v4 = true, v6 = true;
  bool unspec = false;
  bool reject_all = false;
  uint32_t sport_lo = 0, sport_hi = 65535;
};

bool parse_states(const char* s, uint32_t* mask) {
  std::string v = s;
  if (v == "all") {
    *mask = kAllStates;
  } else if (v == "time-wait") {
    *mask = 1u << 6;
  } else if (v == "established") {
    *mask = 1u << 1;
  } else {
    char* end = nullptr;
    *mask = static_cast<uint32_t>(std::strtoul(s, &end, 0));
    if (!end || *end || *mask == 0) return false;
  }
  return true;
}

// The bytecode for a request, as ss builds filters: each test falls through to the next op when
// true and jumps past the end (a reject) when false; ending exactly at the end accepts.
std::vector<inet_diag_bc_op> bytecode(const Request& r) {
  if (r.reject_all) return {{INET_DIAG_BC_JMP, 4, 8}};
  if (r.sport_lo == 0 && r.sport_hi == 65535) return {};
  return {{INET_DIAG_BC_S_GE, 8, 20},
          {0, 0, static_cast<uint16_t>(r.sport_lo)},
          {INET_DIAG_BC_S_LE, 8, 12},
          {0, 0, static_cast<uint16_t>(r.sport_hi)}};
}

// Reads one dump to its end. Returns the number of sockets, or -1 after printing why.
long read_dump(int fd, char* buf, size_t buf_size) {
  long count = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, buf_size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("diag_floor: recv");
      return -1;
    }
    if (n == 0) return count;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return count;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        std::fprintf(stderr, "diag_floor: kernel error %s\n", std::strerror(-e->error));
        return -1;
      }
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) {
        std::fprintf(stderr, "diag_floor: dump interrupted\n");
        return -1;
      }
      ++count;
    }
  }
}

// Sends one dump request: `type` is SOCK_DIAG_BY_FAMILY (body inet_diag_req_v2) or
// TCPDIAG_GETSOCK (body inet_diag_req), followed by the bytecode attribute if any.
bool send_request(int fd, uint16_t type, const void* body, size_t body_len,
                  const std::vector<inet_diag_bc_op>& bc) {
  std::vector<char> msg(NLMSG_SPACE(body_len) + (bc.empty() ? 0 : NLA_HDRLEN + bc.size() * 4));
  auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
  nlh->nlmsg_len = msg.size();
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = 1;
  std::memcpy(NLMSG_DATA(nlh), body, body_len);
  if (!bc.empty()) {
    auto* attr = reinterpret_cast<nlattr*>(msg.data() + NLMSG_SPACE(body_len));
    attr->nla_type = INET_DIAG_REQ_BYTECODE;
    attr->nla_len = NLA_HDRLEN + bc.size() * 4;
    std::memcpy(reinterpret_cast<char*>(attr) + NLA_HDRLEN, bc.data(), bc.size() * 4);
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) <
      0) {
    std::perror("diag_floor: sendto");
    return false;
  }
  return true;
}

// All dumps of one request on a netlink socket of its own; -1 on error.
long run_request(const Request& r) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    std::perror("diag_floor: socket");
    return -1;
  }
  int rcvbuf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  // The kernel never builds a dump message larger than 32 KiB; a larger buffer changes nothing.
  std::vector<char> buf(64 * 1024);
  auto bc = bytecode(r);
  long total = 0;
  if (r.unspec) {
    inet_diag_req req{};
    req.idiag_family = AF_INET;  // the dump ignores it: inet_diag_dump_compat uses AF_UNSPEC
    req.idiag_states = r.states;
    if (!send_request(fd, TCPDIAG_GETSOCK, &req, sizeof(req), bc))
      total = -1;
    else
      total = read_dump(fd, buf.data(), buf.size());
  }
  for (uint8_t family : {uint8_t(AF_INET), uint8_t(AF_INET6)}) {
    if (r.unspec || (family == AF_INET ? !r.v4 : !r.v6) || total < 0) continue;
    inet_diag_req_v2 req{};
    req.sdiag_family = family;
    req.sdiag_protocol = IPPROTO_TCP;
    req.idiag_states = r.states;
    long n = send_request(fd, SOCK_DIAG_BY_FAMILY, &req, sizeof(req), bc)
                 ? read_dump(fd, buf.data(), buf.size())
                 : -1;
    total = n < 0 ? -1 : total + n;
  }
  close(fd);
  return total;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: diag_floor [--states all|time-wait|established|0xMASK] [--netns NAME]\n"
               "                  [--family 4|6|both | --unspec] [--split P] [--reject-all]\n");
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  Request r;
  int split = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--states" && has_value) {
      if (!parse_states(argv[++i], &r.states)) usage();
    } else if (a == "--family" && has_value) {
      std::string f = argv[++i];
      r.v4 = f == "4" || f == "both";
      r.v6 = f == "6" || f == "both";
    } else if (a == "--unspec") {
      r.unspec = true;
    } else if (a == "--reject-all") {
      r.reject_all = true;
    } else if (a == "--split" && has_value) {
      split = std::clamp(std::atoi(argv[++i]), 1, 64);
    } else if (a == "--netns" && has_value) {
      std::string path = std::string("/run/netns/") + argv[++i];
      int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
        std::perror(("diag_floor: " + path).c_str());
        return 1;
      }
      close(ns);
    } else {
      usage();
    }
  }
  std::vector<long> counts(split, 0);
  std::vector<std::thread> threads;
  uint32_t width = (65536 + split - 1) / split;
  for (int t = 0; t < split; ++t) {
    Request part = r;
    if (split > 1) {
      part.sport_lo = t * width;
      part.sport_hi = std::min<uint32_t>(65535, part.sport_lo + width - 1);
    }
    threads.emplace_back([&counts, t, part] { counts[t] = run_request(part); });
  }
  long total = 0;
  for (int t = 0; t < split; ++t) {
    threads[t].join();
    if (counts[t] < 0) return 1;
    total += counts[t];
  }
  std::printf("%ld\n", total);
  return 0;
}
