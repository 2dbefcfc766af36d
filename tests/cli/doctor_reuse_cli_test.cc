// SPDX-License-Identifier: Apache-2.0
// tcp_tw_reuse=1 takes a TIME_WAIT's port only when that connection carried timestamps, which
// the peer must use too. Toward a peer with tcp_timestamps=0 every port in TIME_WAIT stays
// taken: connect() fails, so a doctor reading the dump (which does not say which TIME_WAITs have
// timestamps) must not call that tuple "ok". Two namespaces joined by a veth pair.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/topology.h"
#include "run_tool.h"

namespace tw {
namespace {

using nlohmann::json;

constexpr uint16_t kPort = 8080;
constexpr int kPorts = 100;  // 40000-40099

sockaddr_in to(const std::string& addr) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(kPort);
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return a;
}

TEST(DoctorReuseCli, ReuseTowardAPeerWithoutTimestampsIsNotOk) {
  auto topo = lab::Topology::client_server();
  ASSERT_TRUE(topo) << topo.error();
  const lab::Netns& client = topo->client();
  const lab::Netns& server = topo->server();
  ASSERT_TRUE(client.set_sysctl("net.ipv4.ip_local_port_range", "40000 40099"));
  ASSERT_TRUE(client.set_sysctl("net.ipv4.tcp_tw_reuse", "1"));
  ASSERT_TRUE(server.set_sysctl("net.ipv4.tcp_timestamps", "0"));
  // Now and then (1 run in ~15 here, 6.18 over veth) the client ACKs the server's FIN twice; the
  // second ACK meets a closed socket, the server answers RST, and with tcp_rfc1337=0 that RST
  // ends the client's TIME_WAIT: a port comes free and the last connect() succeeds for a reason
  // that has nothing to do with reuse. RFC 1337 keeps every TIME_WAIT for its 60 s.
  ASSERT_TRUE(client.set_sysctl("net.ipv4.tcp_rfc1337", "1"));

  int listener = -1;
  ASSERT_TRUE(server.run_in([&] {
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = to(topo->server_addr());
    if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listener, 512))
      listener = -1;
  }));
  ASSERT_GE(listener, 0);
  // The server closes after the client's FIN: the client, which closes first, keeps TIME_WAIT.
  std::atomic<bool> stop{false};
  auto serving = server.spawn([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop && std::chrono::steady_clock::now() < until) {
      pollfd p{listener, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listener, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[16];
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
  });
  ASSERT_TRUE(serving) << serving.error();

  int made = 0, refused_errno = 0;
  ASSERT_TRUE(client.run_in([&] {
    const sockaddr_in a = to(topo->server_addr());
    for (int i = 0; i < kPorts; ++i) {  // bounded: one connection per port
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) ++made;
      close(fd);
    }
    // Every port now closing or in TIME_WAIT, older than tcp_tw_reuse_delay (1 s) once this
    // returns: reuse would take them if it could.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) refused_errno = errno;
    close(fd);
  }));
  stop = true;
  serving->join();
  close(listener);
  ASSERT_EQ(made, kPorts);
  ASSERT_EQ(refused_errno, EADDRNOTAVAIL) << "reuse took a port without timestamps";

  auto r = testing::run_tool(fmt::format("doctor --netns {} --json", client.name()));
  ASSERT_TRUE(r.code == 3 || r.code == 4) << r.code << r.err;
  json pressure;
  // A named document: iterating over json::parse(...)["findings"] would read a destroyed temporary.
  json doc = json::parse(r.out);
  for (auto& f : doc["findings"])
    if (f["id"] == "port-pressure") pressure = f;
  ASSERT_FALSE(pressure.is_null()) << r.out;
  EXPECT_NE(pressure["severity"], "ok") << pressure.dump(2);
  EXPECT_EQ(pressure["data"]["worst"]["time_wait"], kPorts);
  EXPECT_NE(pressure["title"].get<std::string>().find("timestamps"), std::string::npos)
      << pressure["title"];
  auto census = testing::run_tool(fmt::format("census --netns {}", client.name()));
  EXPECT_NE(census.out.find("warning (tcp_tw_reuse needs the peer's timestamps)"),
            std::string::npos)
      << census.out;
}

}  // namespace
}  // namespace tw
