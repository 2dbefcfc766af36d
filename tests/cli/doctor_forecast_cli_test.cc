// SPDX-License-Identifier: Apache-2.0
// The doctor sees exhaustion coming, on the real kernel: a namespace with 1,000 ephemeral ports
// and a client churning 40 short connections per second toward one destination (sustainable:
// 1,000 / 60 s = ~17/s). Ten seconds in, 40 % of the ports are in use; the doctor must already
// say "rising" with an ETA that matches when connect() really starts failing with EADDRNOTAVAIL.
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

#include "run_tool.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::EnterNetns;
using testing::run_tool;
using testing::ScopedNetns;
using Clock = std::chrono::steady_clock;

constexpr const char* kAddr = "10.99.0.1";  // on lo but not 127/8: tcp_tw_reuse=2 does not apply
constexpr uint16_t kPort = 8080;
constexpr double kRate = 40;        // connections per second
constexpr int kMaxConnects = 1400;  // bound: 1,000 ports run out first
constexpr double kMaxSeconds = 45;  // bound in time
constexpr int kDoctorAfterConnects = 400;

sockaddr_in dest() {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(kPort);
  inet_pton(AF_INET, kAddr, &a.sin_addr);
  return a;
}

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Accepts and closes after the client's FIN, so the client (which closes first) keeps the
// TIME_WAIT, as a client of a keep-alive-less HTTP server does.
void serve(int listener, const std::atomic<bool>& stop) {
  while (!stop) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    char buf[16];
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
  }
}

struct Churn {
  std::atomic<int> connects{0};
  double first_eaddrnotavail_s = -1;
  int other_errors = 0;
};

void churn(Clock::time_point t0, Churn* c) {
  const sockaddr_in a = dest();
  for (int i = 0; i < kMaxConnects && since(t0) < kMaxSeconds; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t(i * 1e6 / kRate)));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    int err = errno;
    close(fd);
    if (rc == 0) {
      ++c->connects;
    } else if (err == EADDRNOTAVAIL) {
      c->first_eaddrnotavail_s = since(t0);
      return;
    } else {
      ++c->other_errors;
    }
  }
}

TEST(DoctorForecastCli, FlagsChurnTowardOneDestinationBeforeConnectFails) {
  ScopedNetns::remove_stale("twfc");
  ScopedNetns ns("twfc");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40999");
  ASSERT_EQ(ns.exec(fmt::format("ip addr add {}/32 dev lo", kAddr)), 0);
  std::atomic<bool> stop{false};
  int listener = -1;
  {
    EnterNetns in(ns.name());
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = dest();
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listener, 1024), 0);
  }
  std::thread server(serve, listener, std::cref(stop));
  Churn c;
  const auto t0 = Clock::now();
  std::thread client([&] {
    EnterNetns in(ns.name());
    churn(t0, &c);
  });
  // Ten seconds in (bounded wait): 400 of 1,000 ports, which the old doctor called ok.
  while (c.connects < kDoctorAfterConnects && c.first_eaddrnotavail_s < 0 && since(t0) < 30)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double doctor_at = since(t0);
  auto d = run_tool("doctor --json --netns " + ns.name());
  auto census = run_tool("census --json --by tuple --netns " + ns.name());
  client.join();
  stop = true;
  server.join();
  close(listener);

  json j = json::parse(d.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << d.out << d.err;
  json p;
  for (auto& f : j["findings"])
    if (f["id"] == "port-pressure") p = f;
  ASSERT_TRUE(p.is_object()) << j.dump(1);
  const json& w = p["data"]["worst"];
  EXPECT_EQ(w["remote"], kAddr);
  EXPECT_EQ(w["remote_port"], kPort);
  EXPECT_EQ(w["available"], 1000);
  EXPECT_LT(w["percent"].get<double>(), 50.0) << w.dump();  // the percent alone says ok
  EXPECT_EQ(w["state"], "rising") << p.dump(1);
  EXPECT_EQ(p["severity"], "critical") << p.dump(1);
  EXPECT_NE(d.code, 0);
  EXPECT_GT(w["rate_10s"].get<double>(), w["sustainable_rate"].get<double>());
  ASSERT_TRUE(w["eta_s"].is_number()) << w.dump();
  const double eta = w["eta_s"];

  // The census says the same for the tuple.
  json cj = json::parse(census.out, nullptr, false);
  ASSERT_FALSE(cj.is_discarded()) << census.out << census.err;
  ASSERT_FALSE(cj["port_pressure"]["tuples"].empty());
  EXPECT_EQ(cj["port_pressure"]["tuples"][0]["state"], "rising");
  EXPECT_EQ(cj["groups"]["rows"][0]["forecast"]["state"], "rising") << cj["groups"].dump(1);

  // The kernel agrees: connect() failed with EADDRNOTAVAIL, well after the doctor said so, and
  // about when its ETA said. The 10 s rate trails a churn that is younger than 10 s, so the ETA
  // errs late, not early; scheduling noise on a loaded machine moves both a little.
  ASSERT_GE(c.first_eaddrnotavail_s, 0)
      << c.connects << " connects, " << c.other_errors << " other errors";
  EXPECT_EQ(c.other_errors, 0);
  fmt::print(
      stderr,
      "doctor at {:.1f} s: {} in use, ~{}/s over 10 s, ETA {} s; first EADDRNOTAVAIL at {:.1f} s\n",
      doctor_at, w["in_use"].get<int>(), w["rate_10s"].get<double>(), eta, c.first_eaddrnotavail_s);
  EXPECT_GE(c.first_eaddrnotavail_s - doctor_at, 5.0);
  EXPECT_NEAR(doctor_at + eta, c.first_eaddrnotavail_s, 8.0)
      << "doctor at " << doctor_at << " s said ~" << eta << " s; first EADDRNOTAVAIL at "
      << c.first_eaddrnotavail_s << " s";
}

}  // namespace
}  // namespace tw
