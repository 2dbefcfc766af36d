// SPDX-License-Identifier: Apache-2.0
// The classic case (nginx's short upstream connections are one): a client churning 40 short
// connections per second toward one destination in a 1,000-port range (sustainable ~17/s). The
// exporter's pool level must lead the first EADDRNOTAVAIL by >= 15 s, and the series it exports
// are recorded (TIMEWAIT_RECORD_SERIES=DIR) for the alert rules' promtool tests.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "testing/lead_netns.h"
#include "testing/loopback.h"

namespace tw {
namespace {

using testing::BackgroundTool;
using testing::EnterNetns;
using testing::LeadNetns;
using testing::scrape_metrics;
using testing::seconds_since;
using testing::worst_pool_level;
using Clock = std::chrono::steady_clock;

constexpr const char* kAddr = "10.98.0.1";  // on lo but not 127/8: tcp_tw_reuse=2 does not apply
constexpr uint16_t kPort = 8080;
constexpr double kRate = 40;
constexpr double kMaxSeconds = 45;
constexpr double kLeadSeconds = 15;

TEST(TupleLeadCli, TheExporterLeadsTheFirstEaddrnotavailOfAChurningClient) {
  LeadNetns ns("twtl", "40000 40999", {kAddr});
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(ns.listen(kAddr, kPort));
  sockaddr_in dest{};
  dest.sin_family = AF_INET;
  dest.sin_port = htons(kPort);
  inet_pton(AF_INET, kAddr, &dest.sin_addr);
  ns.serve();
  const int port = testing::free_loopback_port();
  BackgroundTool exporter({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--netns",
                           ns.name(), "--min-interval", "0.5"});
  std::atomic<double> first_failure{-1};
  std::atomic<bool> done{false};
  const auto t0 = Clock::now();
  std::thread client([&] {
    EnterNetns in(ns.name());
    for (int i = 0; seconds_since(t0) < kMaxSeconds; ++i) {
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t(i * 1e6 / kRate)));
      if (first_failure >= 0 && seconds_since(t0) > first_failure + 3) break;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int rc = connect(fd, reinterpret_cast<const sockaddr*>(&dest), sizeof dest);
      int err = errno;
      close(fd);
      if (rc != 0 && err == EADDRNOTAVAIL && first_failure < 0) first_failure = seconds_since(t0);
    }
    done = true;
  });

  double warned_at = -1, critical_at = -1;
  std::ofstream series;
  if (const char* dir = std::getenv("TIMEWAIT_RECORD_SERIES"))
    series.open(std::string(dir) + "/tuple-churn.series");
  while (!done && seconds_since(t0) < kMaxSeconds + 5) {
    const std::string metrics = scrape_metrics(port);
    const double now = seconds_since(t0);
    const int level = worst_pool_level(metrics);
    if (warned_at < 0 && level >= 1) warned_at = now;
    if (critical_at < 0 && level >= 2) critical_at = now;
    if (series.is_open()) {
      series << fmt::format("# t={:.1f} failed={}\n", now, first_failure >= 0);
      std::istringstream again(metrics);
      for (std::string line; std::getline(again, line);)
        if (line.starts_with("timewait_port_pool")) series << line << "\n";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  client.join();
  ns.stop_serving();

  ASSERT_GE(first_failure, 0) << "connect() never failed within " << kMaxSeconds << " s";
  std::printf("first EADDRNOTAVAIL at %.1f s; exporter warning at %.1f s, critical at %.1f s\n",
              first_failure.load(), warned_at, critical_at);
  EXPECT_GE(warned_at, 0);
  EXPECT_LE(warned_at, first_failure - kLeadSeconds);
  EXPECT_GE(critical_at, 0);
  EXPECT_LE(critical_at, first_failure - kLeadSeconds);
}

}  // namespace
}  // namespace tw
