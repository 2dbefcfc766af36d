// SPDX-License-Identifier: Apache-2.0
// The nginx incident of issue #25: a real nginx (the lab's nginx-proxy set-up, default upstream:
// a new HTTP/1.0 connection per request) in front of a backend that leaves the close to it, so
// nginx closes first and holds a TIME_WAIT per request on its one upstream tuple. Clients send 40
// requests/s into a 1,000-port range in nginx's namespace (sustainable ~17/s); once the tuple's
// ports are all in TIME_WAIT nginx's connect() fails with EADDRNOTAVAIL and it answers 502. The
// exporter's pool level must lead the first 502 by >= 15 s, and the series it exports are
// recorded (TIMEWAIT_RECORD_SERIES=DIR) for the alert rules' promtool tests
// (deploy/prometheus/recorded/nginx-proxy.csv).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "lab/http_backend.h"
#include "lab/http_load.h"
#include "lab/nginx_process.h"
#include "lab/sockets.h"
#include "lab/topology.h"
#include "testing/loopback.h"

namespace tw {
namespace {

using testing::BackgroundTool;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kPort = 8080;
constexpr double kRate = 40;
constexpr double kMaxSeconds = 45;
constexpr double kLeadSeconds = 15;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string scrape(int port) {
  std::string out = testing::loopback_request(
      port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 10);
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

// One keep-alive client connection to nginx: sends a GET and returns the status of its answer
// (0 when the connection failed or timed out; the caller opens a new one).
class HttpClient {
 public:
  HttpClient(const std::string& addr, uint16_t port) {
    dest_.sin_family = AF_INET;
    dest_.sin_port = htons(port);
    inet_pton(AF_INET, addr.c_str(), &dest_.sin_addr);
  }
  ~HttpClient() { reset(); }
  int get() {
    if (fd_ < 0 && !open()) return 0;
    static const std::string kGet = "GET / HTTP/1.1\r\nHost: lab\r\n\r\n";
    if (!lab::write_all(fd_, kGet.data(), kGet.size())) return reset(), 0;
    std::string data;
    char buf[4096];
    int status = 0;
    size_t len = 0;
    while ((len = lab::http_response_length(data, &status)) == 0) {
      ssize_t r = read(fd_, buf, sizeof buf);
      if (r <= 0) return reset(), 0;
      data.append(buf, size_t(r));
    }
    if (data.find("\r\nConnection: close") != std::string::npos) reset();
    return status;
  }

 private:
  bool open() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&dest_), sizeof dest_) == 0) return true;
    reset();
    return false;
  }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  sockaddr_in dest_{};
  int fd_ = -1;
};

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(NginxLeadCli, TheExporterLeadsTheFirst502OfAnExhaustedUpstreamPool) {
  lab::remove_stale_namespaces();
  if (auto bin = lab::find_nginx(); !bin) FAIL() << bin.error();
  // client 10.77.1.1 -> nginx 10.77.1.2 | nginx 10.77.2.1 -> backend 10.77.2.2
  lab::Topology topo;
  auto client = topo.add_node("client");
  ASSERT_TRUE(client) << client.error();
  auto proxy = topo.add_node("proxy");
  ASSERT_TRUE(proxy) << proxy.error();
  auto backend = topo.add_node("backend");
  ASSERT_TRUE(backend) << backend.error();
  ASSERT_TRUE(topo.link(**client, **proxy, 1));
  ASSERT_TRUE(topo.link(**proxy, **backend, 2));
  const lab::Netns& pns = *(*proxy)->ns;
  ASSERT_TRUE(pns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40999"));
  const std::string front = (*proxy)->addresses[0], back = (*backend)->addresses[0];
  auto server = lab::HttpBackend::start(*(*backend)->ns, back, kPort, /*closes_first=*/false);
  ASSERT_TRUE(server) << server.error();
  lab::NginxConfig nc;
  nc.listen_addr = front;
  nc.listen_port = kPort;
  nc.upstream_addr = back;
  nc.upstream_port = kPort;
  auto nginx = lab::Nginx::start(pns, nc);
  ASSERT_TRUE(nginx) << nginx.error();

  const int port = testing::free_loopback_port();
  BackgroundTool exporter({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--netns",
                           pns.name(), "--min-interval", "0.5"});
  ASSERT_TRUE(exporter.wait_for_stderr("listening")) << "the exporter did not start";
  std::atomic<double> first_failure{-1};
  std::atomic<int64_t> ok{0}, bad_gateway{0}, other{0};
  std::atomic<bool> done{false};
  const auto t0 = Clock::now();
  auto load = (*client)->ns->spawn([&] {
    HttpClient http(front, kPort);
    for (int i = 0; since(t0) < kMaxSeconds; ++i) {
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t(i * 1e6 / kRate)));
      if (first_failure >= 0 && since(t0) > first_failure + 3) break;
      const int status = http.get();
      if (status == 200) {
        ++ok;
      } else if (status == 502) {
        ++bad_gateway;
        if (first_failure < 0) first_failure = since(t0);
      } else {
        ++other;
      }
    }
    done = true;
  });
  ASSERT_TRUE(load) << load.error();

  double warned_at = -1, critical_at = -1, exhausted_at = -1;
  std::ofstream series;
  if (const char* dir = std::getenv("TIMEWAIT_RECORD_SERIES"))
    series.open(std::string(dir) + "/nginx-proxy.series");
  while (!done && since(t0) < kMaxSeconds + 5) {
    const std::string metrics = scrape(port);
    const double now = since(t0);
    int level = -1, exhausted = 0;
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);) {
      const int value = std::atoi(line.c_str() + line.rfind(' ') + 1);
      if (line.starts_with("timewait_port_pool_worst_level{")) level = std::max(level, value);
      if (line.starts_with("timewait_port_pools_exhausted{")) exhausted += value;
    }
    if (warned_at < 0 && level >= 1) warned_at = now;
    if (critical_at < 0 && level >= 2) critical_at = now;
    if (exhausted_at < 0 && exhausted > 0) exhausted_at = now;
    if (series.is_open()) {
      series << fmt::format("# t={:.1f} failed={}\n", now, first_failure >= 0);
      std::istringstream again(metrics);
      for (std::string line; std::getline(again, line);)
        if (line.starts_with("timewait_port_pool") || line.starts_with("timewait_tuple_"))
          series << line << "\n";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  load->join();
  const std::string error_log = read_text((*nginx)->dir() + "/error.log");
  nginx->reset();
  const int64_t upstream = (*server)->accepted(), backend_closed = (*server)->closed_first();
  server->reset();

  ASSERT_GE(first_failure, 0) << "nginx never answered 502 within " << kMaxSeconds << " s (" << ok
                              << " answered)";
  std::printf(
      "first 502 at %.1f s (%lld ok, %lld 502, %lld other); exporter warning at %.1f s, critical "
      "at %.1f s, exhausted at %.1f s\n",
      first_failure.load(), (long long)ok, (long long)bad_gateway, (long long)other, warned_at,
      critical_at, exhausted_at);
  // The 502s are nginx's connect() failing for want of a port, not anything else.
  EXPECT_NE(error_log.find("(99: Cannot assign requested address)"), std::string::npos)
      << error_log.substr(0, 2000);
  EXPECT_EQ(other, 0);
  // nginx closed every upstream connection first: the TIME_WAITs, and the ports, were its own.
  EXPECT_GE(upstream, ok.load());
  EXPECT_EQ(backend_closed, 0);
  EXPECT_GE(warned_at, 0);
  EXPECT_LE(warned_at, first_failure - kLeadSeconds);
  EXPECT_GE(critical_at, 0);
  EXPECT_LE(critical_at, first_failure - kLeadSeconds);
}

}  // namespace
}  // namespace tw
