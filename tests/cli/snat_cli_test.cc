// SPDX-License-Identifier: Apache-2.0
// A SNAT load balancer in front of a server that closes first, over real traffic: 4 client
// addresses -> a balancer namespace doing DNAT + SNAT to one address and 64 ports -> a backend
// that closes first (the lab's nat-lb scenario). From ~8 s on the balancer reuses its ports into
// the backend's TIME_WAITs and the backend drops SYNs by PAWS. The doctor (--interval), watch's
// JSON and the exporter (through Debian's Prometheus and the shipped alert rules) must each say
// so within 30 s of the first dropped SYN, name the balancer's address, and give the balancer's
// fixes, never "let the server close first".
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "lab/counters.h"
#include "lab/paced_connects.h"
#include "lab/scenario_nat_lb.h"
#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/temp_dir.h"

namespace tw::testing {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr double kRate = 8;        // connections/s: the 64 ports are all used after 8 s
constexpr double kSeconds = 55;    // of traffic
constexpr double kLeadLimit = 30;  // seconds from the first dropped SYN to each warning
constexpr const char* kSnatAddress = "10.77.2.11";

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string http_get(int port, const std::string& path) {
  std::string out = loopback_request(
      port, fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path),
      5);
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    out += isalnum(c) || c == '_' || c == '-' || c == '.' ? std::string(1, char(c))
                                                          : fmt::format("%{:02X}", c);
  return out;
}

// Prometheus, killed when the test ends however it ends.
class Prometheus {
 public:
  Prometheus(const TempDir& dir, int port, int exporter_port) {
    const std::string rules =
        std::string(FIXTURES_DIR) + "/../../deploy/prometheus/timewait.rules.yml";
    std::ofstream(dir / "prometheus.yml") << fmt::format(
        "global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\n"
        "rule_files:\n  - {}\n"
        "scrape_configs:\n  - job_name: timewait\n    static_configs:\n"
        "      - targets: ['127.0.0.1:{}']\n",
        rules, exporter_port);
    log_ = dir / "prometheus.log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = fopen(log_.c_str(), "w");
      if (f) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      const std::string cfg = "--config.file=" + (dir / "prometheus.yml");
      const std::string data = "--storage.tsdb.path=" + (dir / "data");
      const std::string listen = fmt::format("--web.listen-address=127.0.0.1:{}", port);
      execlp("prometheus", "prometheus", cfg.c_str(), data.c_str(), listen.c_str(),
             "--log.level=warn", nullptr);
      _exit(127);
    }
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// The firing alerts of `name` (their labels), or an empty array.
json firing(int prom_port, const std::string& name) {
  auto j = json::parse(
      http_get(prom_port, "/api/v1/query?query=" +
                              url_encode(fmt::format(
                                  "ALERTS{{alertname=\"{}\",alertstate=\"firing\"}}", name))),
      nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return json::array();
  json out = json::array();
  for (const auto& r : j["data"]["result"]) out.push_back(r["metric"]);
  return out;
}

const json* finding(const json& doc, const std::string& id) {
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array()) return nullptr;
  for (const auto& f : doc["findings"])
    if (f.value("id", "") == id) return &f;
  return nullptr;
}

std::string all_text(const json& f) {
  std::string s = f.value("title", "") + "\n" + f.value("why", "");
  for (const char* k : {"/fix/application", "/dont", "/evidence"})
    for (const auto& x : f.value(json::json_pointer(k), json::array()))
      if (x.is_string()) s += "\n" + x.get<std::string>();
  return s;
}

TEST(SnatCli, DoctorWatchAndAlertNameTheBalancerWithin30sOfTheFirstDroppedSyn) {
  lab::NatLbSetup setup;
  setup.clients = 4;
  setup.dnat = true;
  setup.addresses = 1;
  setup.port_low = 40000;
  setup.port_high = 40063;
  setup.connect_timeout_ms = 8000;
  auto lab = lab::NatLbLab::build(setup);
  ASSERT_TRUE(lab) << lab.error();
  const std::string backend = (*lab)->backend().name();
  auto base = lab::read_counters((*lab)->backend());
  ASSERT_TRUE(base) << base.error();
  const int64_t paws0 = base->get("PAWSTimewait") + base->get("PAWSEstab");

  const int exporter_port = free_loopback_port();
  BackgroundTool exporter({"exporter", "--listen", fmt::format("127.0.0.1:{}", exporter_port),
                           "--netns", backend, "--min-interval", "1"});
  ASSERT_TRUE(exporter.wait_for_stderr("listening on")) << "exporter did not start";
  TempDir dir;
  const int prom_port = free_loopback_port();
  Prometheus prom(dir, prom_port, exporter_port);
  BackgroundTool watch({"watch", "--netns", backend, "--interval", "2", "--json", "--count",
                        fmt::format("{}", int(kSeconds / 2) + 5)});

  const auto t0 = Clock::now();
  const auto wall0 = std::chrono::system_clock::now();
  std::optional<lab::PacedStats> stats;
  std::string traffic_error;
  std::thread traffic([&] {
    auto s = lab::run_paced_connects((*lab)->client(), (*lab)->traffic(kRate, kSeconds));
    if (s)
      stats = *s;
    else
      traffic_error = s.error();
  });

  // The doctor, run again and again with --interval 5 as an SRE would: when did it first warn?
  std::mutex mu;
  std::optional<double> doctor_at;
  json doctor_doc;
  std::atomic<bool> stop{false};
  std::thread doctor([&] {
    while (!stop && since(t0) < kSeconds) {
      auto r = run_tool(fmt::format("doctor --netns {} --interval 5 --json", backend));
      auto j = json::parse(r.out, nullptr, false);
      if (j.is_discarded()) continue;
      const json* f = finding(j, "syn-into-time-wait");
      if (f && f->value("severity", "") == "warning") {
        std::lock_guard lock(mu);
        doctor_at = since(t0);
        doctor_doc = j;
        return;
      }
    }
  });

  std::optional<double> first_drop, alert_at;
  json alerts;
  while (since(t0) < kSeconds + 5 && (!first_drop || !alert_at)) {
    if (!first_drop) {
      auto c = lab::read_counters((*lab)->backend());
      if (c && c->get("PAWSTimewait") + c->get("PAWSEstab") > paws0) first_drop = since(t0);
    }
    if (!alert_at) {
      json a = firing(prom_port, "TimewaitSynsDroppedIntoTimeWait");
      if (!a.empty()) {
        alert_at = since(t0);
        alerts = a;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  traffic.join();
  stop = true;
  doctor.join();
  auto w = watch.finish(90);

  ASSERT_TRUE(traffic_error.empty()) << traffic_error;
  ASSERT_TRUE(stats);
  ASSERT_TRUE(first_drop) << "the backend dropped no SYN: the SNAT did not reuse its ports";
  // Dropped, not failed: the clients' SYNs are resent and get through.
  EXPECT_EQ(stats->failures(), 0) << stats->first_error;

  // The doctor.
  ASSERT_TRUE(doctor_at) << "doctor --interval 5 never warned of SYNs dropped into TIME_WAIT";
  EXPECT_LE(*doctor_at - *first_drop, kLeadLimit);
  const json* f = finding(doctor_doc, "syn-into-time-wait");
  ASSERT_TRUE(f);
  EXPECT_NE(f->value("title", "").find(kSnatAddress), std::string::npos) << f->dump(2);
  EXPECT_EQ(f->value("/data/nat_peers/0/address"_json_pointer, ""), kSnatAddress) << f->dump(2);
  const json app = f->value("/fix/application"_json_pointer, json::array());
  ASSERT_GE(app.size(), 3u) << f->dump(2);
  EXPECT_NE(app[0].get<std::string>().find("close first"), std::string::npos);
  for (const auto& fd : doctor_doc.value("findings", json::array())) {
    const std::string text = all_text(fd);
    EXPECT_EQ(text.find("let the server close first"), std::string::npos) << fd.dump(2);
    EXPECT_EQ(text.find("Let the server close first"), std::string::npos) << fd.dump(2);
    EXPECT_EQ(text.find("tcp_tw_recycle=1"), std::string::npos) << fd.dump(2);
  }
  // server-time-wait no longer says the server's TIME_WAIT costs nothing.
  const json* stw = finding(doctor_doc, "server-time-wait");
  ASSERT_TRUE(stw);
  EXPECT_EQ(stw->value("why", "").find("costs no"), std::string::npos) << stw->dump(2);
  EXPECT_NE(stw->value("title", "").find(kSnatAddress), std::string::npos) << stw->dump(2);

  // watch's JSON lines: the first refresh whose findings carry the warning.
  std::optional<double> watch_at;
  std::istringstream lines(w.out);
  for (std::string line; std::getline(lines, line) && !watch_at;) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    const json* wf = finding(j, "syn-into-time-wait");
    if (!wf || wf->value("severity", "") != "warning") continue;
    EXPECT_NE(wf->value("title", "").find(kSnatAddress), std::string::npos) << wf->dump();
    std::tm tm{};
    std::istringstream(j.value("time", "")) >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
    const auto wall = std::chrono::system_clock::from_time_t(timegm(&tm));
    watch_at = std::chrono::duration<double>(wall - wall0).count();
  }
  ASSERT_TRUE(watch_at) << "watch never showed the warning:\n" << w.out.substr(0, 4000) << w.err;
  // The JSON time has whole seconds: one more second of slack.
  EXPECT_LE(*watch_at - *first_drop, kLeadLimit + 1);

  // The shipped alert, evaluated by Prometheus on the exporter's series.
  ASSERT_TRUE(alert_at) << "TimewaitSynsDroppedIntoTimeWait never fired: " << read_text(prom.log());
  EXPECT_LE(*alert_at - *first_drop, kLeadLimit);
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts[0].value("peer_address", ""), kSnatAddress);
  EXPECT_EQ(alerts[0].value("netns", ""), backend);
  std::cerr << fmt::format(
      "first dropped SYN at {:.1f} s; doctor +{:.1f} s, watch +{:.1f} s, alert +{:.1f} s; {} of "
      "{} connections, none failed\n",
      *first_drop, *doctor_at - *first_drop, *watch_at - *first_drop, *alert_at - *first_drop,
      stats->ok, stats->attempted);
}

}  // namespace
}  // namespace tw::testing
