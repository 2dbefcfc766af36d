// SPDX-License-Identifier: Apache-2.0
#include "testing/lead_netns.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "testing/loopback.h"

namespace tw::testing {

namespace {

// remove_stale() runs before the namespace is made, so it cannot remove the new one.
const std::string& stale_removed(const std::string& prefix) {
  ScopedNetns::remove_stale(prefix);
  return prefix;
}

}  // namespace

LeadNetns::LeadNetns(const std::string& prefix, const std::string& port_range,
                     const std::vector<std::string>& addresses)
    : ns_(stale_removed(prefix)) {
  ns_.set_sysctl("net.ipv4.ip_local_port_range", port_range);
  for (const auto& a : addresses) {
    if (ns_.exec(fmt::format("ip addr add {}/32 dev lo", a)) != 0) {
      ADD_FAILURE() << "cannot add " << a << " to lo in " << ns_.name();
      ok_ = false;
    }
  }
}

LeadNetns::~LeadNetns() { stop_serving(); }

bool LeadNetns::listen(const std::string& address, uint16_t port) {
  EnterNetns in(ns_.name());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  os::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd.get(), 1024) != 0) {
    ADD_FAILURE() << "cannot listen on " << address << ":" << port << " in " << ns_.name();
    ok_ = false;
    return false;
  }
  listeners_.push_back(std::move(fd));
  return true;
}

void LeadNetns::serve() {
  server_ = std::thread([this] {
    std::vector<pollfd> p;
    for (const os::UniqueFd& l : listeners_) p.push_back({l.get(), POLLIN, 0});
    while (!stop_) {
      if (poll(p.data(), p.size(), 50) <= 0) continue;
      for (auto& x : p) {
        if (!(x.revents & POLLIN)) continue;
        os::UniqueFd fd(accept(x.fd, nullptr, nullptr));
        if (!fd) continue;
        timeval tv{0, 200000};
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[16];
        while (read(fd.get(), buf, sizeof buf) > 0) {
        }
      }
    }
  });
}

void LeadNetns::stop_serving() {
  stop_ = true;
  if (server_.joinable()) server_.join();
}

std::string scrape_metrics(int port) {
  std::string out = loopback_request(
      port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 10);
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

int worst_pool_level(const std::string& metrics) {
  int worst = -1;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("timewait_port_pool_worst_level{"))
      worst = std::max(worst, std::atoi(line.c_str() + line.rfind(' ') + 1));
  return worst;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace tw::testing
