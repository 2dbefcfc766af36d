// SPDX-License-Identifier: Apache-2.0
// bind(addr, 0) before connect() takes each source port for one destination, and connect()
// toward any other destination skips such ports: 25 connections to each of 4 destinations fill a
// 100-port range while each tuple is 25 % in use. The doctor must see the shared pool (and not
// see one where connect() alone shares ports between destinations), and its fix,
// IP_BIND_ADDRESS_NO_PORT, must leave ports for more.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::EnterNetns;
using testing::loopback;
using testing::run_tool;
using testing::ScopedNetns;
using testing::Sockets;

constexpr uint16_t kFirstPort = 8080;
constexpr int kDestinations = 4, kEach = 25;  // 100 ports: 40000-40099

enum class Mode { kConnect, kBind, kBindNoPort };

// One connection toward port in `mode`; the errno of the failing call, or 0.
int connect_one(Mode mode, uint16_t port, Sockets* keep) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  if (mode == Mode::kBindNoPort) {
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  }
  sockaddr_in any = loopback(0);
  if (mode != Mode::kConnect && bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
    int err = errno;
    close(fd);
    return err;
  }
  sockaddr_in to = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    int err = errno;
    close(fd);
    return err;
  }
  keep->add(fd);
  return 0;
}

struct Workload {
  int failures = 0;
  int next_connect_errno = 0;  // a further plain connect() toward the first destination
  json pressure;
};

Workload run(Mode mode) {
  Workload r;
  ScopedNetns ns;
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40099");
  Sockets socks;
  {
    EnterNetns in(ns.name());
    for (int d = 0; d < kDestinations; ++d) socks.listen("127.0.0.1", kFirstPort + d);
    for (int d = 0; d < kDestinations; ++d)
      for (int i = 0; i < kEach; ++i) r.failures += connect_one(mode, kFirstPort + d, &socks) != 0;
    r.next_connect_errno = connect_one(Mode::kConnect, kFirstPort, &socks);
  }
  auto d = run_tool("doctor --json --netns " + ns.name());
  json j = json::parse(d.out, nullptr, false);
  if (!j.is_discarded())
    for (auto& f : j["findings"])
      if (f["id"] == "port-pressure") r.pressure = f;
  return r;
}

TEST(DoctorBindCli, BindBeforeConnectFillsOnePoolForEveryDestination) {
  ScopedNetns::remove_stale();
  Workload bound = run(Mode::kBind);
  // The kernel: 100 connections fit, and then connect() toward a destination with 25 % in use
  // finds no port.
  EXPECT_EQ(bound.failures, 0);
  EXPECT_EQ(bound.next_connect_errno, EADDRNOTAVAIL);
  ASSERT_TRUE(bound.pressure.is_object());
  // Each tuple holds 25 ports; the address's pool, which bind() draws from, decides.
  EXPECT_EQ(bound.pressure["data"]["worst"]["in_use"], kEach);
  EXPECT_EQ(bound.pressure["data"]["worst_pool"], "bind") << bound.pressure.dump(1);
  EXPECT_EQ(bound.pressure["severity"], "critical") << bound.pressure.dump(1);
  EXPECT_EQ(bound.pressure["data"]["bound_pool"]["ports_held"], 100) << bound.pressure.dump(1);
  EXPECT_EQ(bound.pressure["data"]["bound_pool"]["destinations"], kDestinations);
  ASSERT_FALSE(bound.pressure["fix"]["application"].empty());
  EXPECT_NE(
      bound.pressure["fix"]["application"][0].get<std::string>().find("IP_BIND_ADDRESS_NO_PORT"),
      std::string::npos);

  // connect() alone shares ports between destinations: no shared pool to report, and ports left.
  Workload plain = run(Mode::kConnect);
  EXPECT_EQ(plain.failures, 0);
  EXPECT_EQ(plain.next_connect_errno, 0);
  ASSERT_TRUE(plain.pressure.is_object());
  EXPECT_TRUE(plain.pressure["data"]["bound_pool"].is_null()) << plain.pressure.dump(1);
  EXPECT_EQ(plain.pressure["severity"], "ok");

  // The fix: IP_BIND_ADDRESS_NO_PORT before bind() leaves ports for more connections.
  Workload fixed = run(Mode::kBindNoPort);
  EXPECT_EQ(fixed.failures, 0);
  EXPECT_EQ(fixed.next_connect_errno, 0);
  EXPECT_TRUE(fixed.pressure["data"]["bound_pool"].is_null()) << fixed.pressure.dump(1);
}

}  // namespace
}  // namespace tw
