// `timewait exporter` as a user runs it: usage errors, a taken port (exit 1, one line), SIGTERM
// (exit 0), the served exposition passing `promtool check metrics`, and Debian's real Prometheus
// scraping it on loopback: the values its HTTP API returns equal a census of the same namespace.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw::testing {
namespace {

using Clock = std::chrono::steady_clock;

int free_port() { return free_loopback_port(); }

// GET http://127.0.0.1:port/path; the body, or "" on failure (bounded by `seconds`).
std::string http_get(int port, const std::string& path, int* status = nullptr,
                     double seconds = 10) {
  std::string out = loopback_request(
      port, fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path),
      seconds);
  if (status) *status = out.starts_with("HTTP/1.1 ") ? std::atoi(out.c_str() + 9) : 0;
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '_' || c == '-' || c == '.')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// A process other than timewait (prometheus), killed when the test ends, however it ends.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = fopen(log.c_str(), "w");
      if (f) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

TEST(ExporterCli, UsageErrors) {
  expect_usage_errors({
      {"exporter --listen localhost:10040", "numeric address"},
      {"exporter --listen 127.0.0.1", "numeric address"},
      {"exporter --all-netns --netns x", "--all-netns"},
      {"exporter --netns twtest-no-such-namespace", "twtest-no-such-namespace"},
      {"exporter --min-interval -1", "--min-interval"},
      {"exporter --top-tuples 5000", "--top-tuples"},
      {"exporter --source nosuch", "unknown source"},
  });
}

TEST(ExporterCli, ATakenPortIsExit1WithOneLine) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  auto r = run_tool(fmt::format("exporter --listen 127.0.0.1:{}", port));
  close(fd);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, fmt::format("timewait: error: cannot listen on 127.0.0.1:{}: the port is "
                               "already in use (another exporter running? pick another address "
                               "with --listen HOST:PORT)\n",
                               port));
  EXPECT_EQ(r.out, "");
}

class ExporterLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ScopedNetns::remove_stale(); }
  void SetUp() override {
    ns_ = std::make_unique<ScopedNetns>();
    EnterNetns in(ns_->name());
    uint16_t p = socks_.listen("127.0.0.1");
    for (int i = 0; i < 3; ++i) socks_.established("127.0.0.1", p);
    // TIME_WAIT lasts 60 s: every check below ends well before these expire.
    for (int i = 0; i < 5; ++i) socks_.time_wait("127.0.0.1", p);
  }
  std::unique_ptr<ScopedNetns> ns_;
  Sockets socks_;
};

TEST_F(ExporterLive, ServesPromtoolCleanMetricsAndStopsOnSigterm) {
  const int port = free_port();
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--netns",
                       ns_->name(), "--min-interval", "0"});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";
  int status = 0;
  std::string text = http_get(port, "/metrics", &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(
      text.find(fmt::format(
          "timewait_sockets{{netns=\"{}\",family=\"ipv4\",state=\"time_wait\"}} 5\n", ns_->name())),
      std::string::npos)
      << text;
  TempDir dir;
  std::ofstream(dir / "m.txt") << text;
  auto check =
      run_output(fmt::format("promtool check metrics < {} 2>&1; echo rc=$?", dir / "m.txt"));
  EXPECT_NE(check.find("rc=0"), std::string::npos) << check;
  std::string index = http_get(port, "/", &status);
  EXPECT_NE(index.find("href=\"/metrics\""), std::string::npos) << index;

  // SIGTERM: a clean stop, exit 0.
  auto r = tool.terminate(30);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped (SIGTERM)"), std::string::npos) << r.err;
}

// Prometheus' API: the value of an instant query with one result, or NaN.
double prom_value(int port, const std::string& query) {
  std::string body = http_get(port, "/api/v1/query?query=" + url_encode(query));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nan("");
  const auto& res = j["data"]["result"];
  if (!res.is_array() || res.size() != 1) return std::nan("");
  return std::stod(res[0]["value"][1].get<std::string>());
}

TEST_F(ExporterLive, RealPrometheusScrapesTheCensusOfTheNamespace) {
  const int exporter_port = free_port();
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", exporter_port),
                       "--netns", ns_->name(), "--min-interval", "1"});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";

  TempDir dir;
  const int prom_port = free_port();  // never 9090: a system Prometheus may hold it
  std::ofstream(dir / "prometheus.yml") << fmt::format(
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n  - job_name: timewait\n    static_configs:\n"
      "      - targets: ['127.0.0.1:{}']\n",
      exporter_port);
  Process prom({"prometheus", "--config.file=" + (dir / "prometheus.yml"),
                "--storage.tsdb.path=" + (dir / "data"),
                fmt::format("--web.listen-address=127.0.0.1:{}", prom_port), "--log.level=warn"},
               dir / "prometheus.log");
  const std::string ns = ns_->name();
  const std::string sel = fmt::format("job=\"timewait\",netns=\"{}\"", ns);
  // Wait (bounded) for two successful scrapes.
  double censuses = std::nan("");
  const auto end = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < end && prom.running()) {
    censuses = prom_value(prom_port, "timewait_censuses_total{job=\"timewait\"}");
    if (censuses >= 2 && prom_value(prom_port, "up{job=\"timewait\"}") == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_GE(censuses, 2) << "Prometheus did not scrape the exporter: "
                         << read_file(dir / "prometheus.log");

  // The census of the same namespace, taken by the CLI now.
  auto c = run_tool(fmt::format("census --netns {} --json", ns));
  ASSERT_EQ(c.code, 0) << c.err;
  auto census = nlohmann::json::parse(c.out);
  auto q = [&](const std::string& metric, const std::string& labels = "") {
    return prom_value(prom_port, fmt::format("{}{{{}{}}}", metric, sel, labels));
  };
  auto sum_states = [&](const std::string& state) {
    return prom_value(prom_port,
                      fmt::format("sum(timewait_sockets{{{},state=\"{}\"}})", sel, state));
  };
  EXPECT_EQ(sum_states("time_wait"), census["states"]["time-wait"].get<double>());
  EXPECT_EQ(sum_states("established"), census["states"]["established"].get<double>());
  EXPECT_EQ(sum_states("listen"), census["states"]["listening"].get<double>());
  EXPECT_EQ(sum_states("time_wait"), 5);
  EXPECT_EQ(sum_states("established"), 6);
  EXPECT_EQ(q("timewait_sockstat_tcp_tw"), census["sockstat"]["tw"].get<double>());
  EXPECT_EQ(q("timewait_ephemeral_ports_usable"), census["port_pressure"]["usable"].get<double>());
  EXPECT_EQ(q("timewait_ephemeral_port_range_low"),
            census["port_pressure"]["range"][0].get<double>());
  EXPECT_EQ(q("timewait_tuples"), census["port_pressure"]["total_tuples"].get<double>());
  const auto& worst = census["port_pressure"]["tuples"][0];
  EXPECT_EQ(q("timewait_tuple_ports_in_use",
              fmt::format(",local_address=\"{}\",remote_address=\"{}\",remote_port=\"{}\"",
                          worst["local"].get<std::string>(), worst["remote"].get<std::string>(),
                          worst["remote_port"].get<int>())),
            worst["in_use"].get<double>());
  EXPECT_EQ(q("timewait_up"), 1);
  EXPECT_EQ(prom_value(prom_port, "timewait_scrape_errors_total{job=\"timewait\"}"), 0);
}

}  // namespace
}  // namespace tw::testing
