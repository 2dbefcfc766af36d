// SPDX-License-Identifier: Apache-2.0
// `plan --from SNAPSHOT --trace FILE` as an SRE runs it during an exhaustion: a client churning
// at a known rate runs its tuple's pool out in a namespace made by the test, `trace --json`
// counts its connect() calls (both forms: the summary and the stream), `census --save` takes the
// snapshot, and plan reports the rate the client attempted, where without --trace it can only
// say "at least" what the pool let through.
#include <errno.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "background_tool.h"
#include "os/unique_fd.h"
#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::BackgroundTool;
using testing::loopback;
using testing::run_tool;
using testing::ScopedNetns;
using Clock = std::chrono::steady_clock;

// A server in the namespace that reads each connection to EOF and closes after the client: the
// client closes first and holds the TIME_WAIT, as a proxy toward its upstream does.
class PassiveServer {
 public:
  PassiveServer(const ScopedNetns& ns, uint16_t port) {
    {
      testing::EnterNetns in(ns.name());
      fd_.reset(socket(AF_INET, SOCK_STREAM, 0));
    }
    int one = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(port);
    ok_ = bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
          listen(fd_.get(), 256) == 0;
    thread_ = std::thread([this] { serve(); });
  }
  ~PassiveServer() {
    stop_ = true;
    thread_.join();
  }
  bool ok() const { return ok_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      os::UniqueFd c(accept(fd_.get(), nullptr, nullptr));
      if (!c) continue;
      char buf[64];
      timeval tv{2, 0};  // a client that never closes does not stop the server
      setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      while (read(c.get(), buf, sizeof buf) > 0) {
      }
    }
  }
  os::UniqueFd fd_;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct ChurnResult {
  int64_t attempts = 0, connected = 0, eaddrnotavail = 0, other = 0;
  double seconds = 0;  // first attempt to last
  double rate() const { return seconds > 0 ? (attempts - 1) / seconds : 0; }
};

// `rate` connect() calls a second for `seconds` toward 127.0.0.1:port from a thread inside the
// namespace, on a fixed schedule (a late call does not shift the ones after it); each connection
// is closed at once by the client.
ChurnResult churn(const ScopedNetns& ns, uint16_t port, double rate, double seconds) {
  testing::EnterNetns in(ns.name());
  ChurnResult r;
  const auto start = Clock::now();
  const auto n = int64_t(rate * seconds);
  for (int64_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration<double>(i / rate));
    os::UniqueFd s(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a = loopback(port);
    ++r.attempts;
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
      ++r.connected;
    else if (errno == EADDRNOTAVAIL)
      ++r.eaddrnotavail;
    else
      ++r.other;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return r;
}

#if TIMEWAIT_BPF_BUILT

json plan_json(const std::string& args) {
  auto r = run_tool("plan --json " + args);
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

// The issue's third case: 25 connects/s wanted into a pool that sustains 250/60 = 4.2/s. The
// pool runs out after 10 s; the trace covers about 3-13 s (later when the tracer is slow to
// attach), so about a third of what it counts failed. The snapshot alone shows the pool's share;
// with the trace plan says 25/s.
TEST(PlanTraceCli, TracedDemandOfAnExhaustedPoolIsTheRateAttempted) {
  ScopedNetns ns("twtest");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40249");  // 250 ports
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // loopback reuse would hide the exhaustion
  constexpr uint16_t kPort = 8097;
  constexpr double kRate = 25, kSeconds = 22, kTraceSeconds = 10;
  PassiveServer server(ns, kPort);
  ASSERT_TRUE(server.ok());
  ChurnResult churned;
  std::thread client([&] { churned = churn(ns, kPort, kRate, kSeconds); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // Both forms trace the same window: the summary counted in the kernel, and the stream.
  const std::string duration = fmt::format("{:g}", kTraceSeconds);
  BackgroundTool summary(
      {"trace", "--netns", ns.name(), "--summary", "--json", "--duration", duration});
  BackgroundTool stream({"trace", "--netns", ns.name(), "--json", "--duration", duration});
  const bool started =
      summary.wait_for_stderr("tracing TCP") && stream.wait_for_stderr("tracing TCP");
  auto s = summary.finish(kTraceSeconds + 60);
  auto l = stream.finish(kTraceSeconds + 60);
  testing::TempDir dir;
  const std::string snap = dir / "exhausted.json";
  auto c = run_tool("census --netns " + ns.name() + " --save " + snap);
  client.join();
  ASSERT_TRUE(started) << "a tracer did not start: " << s.err << l.err;
  ASSERT_EQ(s.code, 0) << s.err;
  ASSERT_EQ(l.code, 0) << l.err;
  ASSERT_EQ(c.code, 0) << c.err;
  ASSERT_EQ(churned.other, 0);
  ASSERT_GT(churned.eaddrnotavail, 0) << "250 ports should not serve 25/s for 22 s";
  const double wanted = churned.rate();
  ASSERT_NEAR(wanted, kRate, 0.1 * kRate) << "the client could not keep its pace";
  const std::string summary_file = dir / "summary.json", stream_file = dir / "stream.jsonl";
  std::ofstream(summary_file) << s.out;
  std::ofstream(stream_file) << l.out;

  // Without the trace: what the pool let through, called a lower bound.
  json bound = plan_json("--from " + snap);
  EXPECT_TRUE(bound["input"]["rate_lower_bound"].get<bool>()) << bound["input"].dump(2);
  EXPECT_LT(bound["input"]["rate"].get<double>(), 0.8 * wanted) << bound["input"].dump(2);
  EXPECT_TRUE(bound["input"]["traced_demand"].is_null());
  auto bound_text = run_tool("plan --from " + snap);
  EXPECT_NE(bound_text.out.find("lower bound"), std::string::npos) << bound_text.out;

  for (const std::string& file : {summary_file, stream_file}) {
    SCOPED_TRACE(file);
    json j = plan_json("--from " + snap + " --trace " + file);
    const json& d = j["input"]["traced_demand"];
    ASSERT_TRUE(d.is_object()) << j["input"].dump(2);
    EXPECT_NEAR(j["input"]["rate"].get<double>(), wanted, 0.12 * wanted) << d.dump(2);
    EXPECT_FALSE(j["input"]["rate_lower_bound"].get<bool>()) << j["input"].dump(2);
    EXPECT_EQ(d["lost"], 0);
    // Failures counted are the client's own, part of what it met, and a real share of the
    // attempts (the window covers the exhaustion at 10 s).
    const auto failed = d["failed_connects"].value("EADDRNOTAVAIL", int64_t{0});
    EXPECT_GT(failed, 0) << d.dump(2);
    EXPECT_LE(failed, churned.eaddrnotavail) << d.dump(2);
    EXPECT_LE(d["connects"].get<int64_t>(), churned.connected) << d.dump(2);
    EXPECT_GT(d["connects"].get<int64_t>(), 0) << d.dump(2);
    EXPECT_GT(d["failing_share"].get<double>(), 0.05) << d.dump(2);
    EXPECT_LT(d["failing_share"].get<double>(), 0.95) << d.dump(2);
    EXPECT_NEAR(d["seconds"].get<double>(), kTraceSeconds, 1.5) << d.dump(2);
    // The plan of that demand: over what the pool sustains, failing now.
    EXPECT_LT(j["headroom"].get<double>(), 0.5) << j.dump(2);
    EXPECT_NE(j["exhaustion"]["text"].get<std::string>().find("failed while traced"),
              std::string::npos)
        << j["exhaustion"].dump();
    setenv("COLUMNS", "400", 1);  // each sentence on one line
    auto t = run_tool("plan --from " + snap + " --trace " + file);
    unsetenv("COLUMNS");
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find("/s wanted toward 127.0.0.1:8097 from 127.0.0.1"), std::string::npos)
        << t.out;
    EXPECT_NE(t.out.find("% failing (trace " + file + ")"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("counted in the kernel by `timewait trace`"), std::string::npos) << t.out;
    EXPECT_EQ(t.out.find("lower bound"), std::string::npos) << t.out;
  }
}

#endif  // TIMEWAIT_BPF_BUILT

TEST(PlanTraceCli, BadTraceInputIsOneLineAndExitTwo) {
  testing::TempDir dir;
  const std::string snap = std::string(FIXTURES_DIR) + "/doctor/linux-snapshot.json";
  const std::string cut = dir / "cut.jsonl", other = dir / "other.json";
  std::ofstream(cut)
      << R"({"t":0.1,"event":"connect-failed","local":"0.0.0.0:0","remote":"127.0.0.1:80","errno":"EADDRNOTAVAIL"})"
      << "\n";
  std::ofstream(other) << R"({"seconds": 5, "lost": {}, "flows": [{"role": "client", "local": )"
                          R"("192.0.2.1", "remote": "192.0.2.2:1", "connects": 5, )"
                          R"("failed_connects": {}}]})";
  testing::expect_usage_errors({
      {"plan --trace " + other, "give --from SNAPSHOT too"},
      {"plan --from " + snap + " --trace /nonexistent/trace.json", "cannot open"},
      {"plan --from " + snap + " --trace " + cut, "no \"end\" line"},
      {"plan --from " + snap + " --trace " + other, "counted no connect() from"},
  });
}

}  // namespace
}  // namespace tw
