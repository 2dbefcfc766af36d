// SPDX-License-Identifier: Apache-2.0
// `timewait exporter` as a user runs it: usage errors, a taken port (exit 1, one line), a bad
// --web.config.file (exit 2, one line), node_exporter's web config (TLS, client certificates,
// basic auth), header floods against the binary (its RSS and descriptors), SIGTERM (exit 0),
// the served exposition passing `promtool check metrics`, and Debian's real Prometheus scraping
// it on loopback: the values its HTTP API returns equal a census of the same namespace.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/hostile_clients.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"
#include "testing/tls_files.h"

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
      {"exporter --max-connections 0", "--max-connections"},
      {"exporter --max-connections-per-ip -1", "--max-connections-per-ip"},
      {"exporter --web.config.file ''", "--web.config.file"},
  });
}

// A web config file that cannot be used stops the exporter at start: exit 2 and one line that
// names the file and the key, before anything listens.
TEST(ExporterCli, ABadWebConfigFileIsExit2WithOneLine) {
  TempDir dir;
  std::string why;
  ASSERT_TRUE(make_tls_files(dir.path, &why)) << why;
  struct Case {
    std::string yaml, says;
  };
  for (const Case& c : std::vector<Case>{
           {"tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n",
            "tls_server_config.key_file: cannot read " + dir.path + "/missing.key"},
           {"tls_server_config:\n  cert_file: client.crt\n  key_file: server.key\n",
            "do not load as a PEM pair"},
           {"basic_auth_users:\n  prometheus: plaintext\n", "basic_auth_users.prometheus"},
           {"tls_server_config:\n  certfile: server.crt\n",
            "tls_server_config.certfile: unknown key"},
           {"tls_server_config: [\n", "not valid YAML"},
       }) {
    std::ofstream(dir / "web.yml") << c.yaml;
    auto r = run_tool(fmt::format("exporter --listen 127.0.0.1:{} --web.config.file {}",
                                  free_port(), dir / "web.yml"));
    EXPECT_EQ(r.code, 2) << c.yaml << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("timewait: error: --web.config.file " + dir / "web.yml"))
        << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.yaml << "-> " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto r = run_tool("exporter --web.config.file " + dir / "nosuch.yml");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "timewait: error: --web.config.file " + dir / "nosuch.yml" +
                       ": cannot read: No such file or directory\n");
}

// node_exporter's web config file, unchanged, on the real binary: HTTPS with a verified client
// certificate and basic auth; curl is the scraper.
TEST(ExporterCli, ServesTlsAndBasicAuthFromANodeExporterWebConfig) {
  TempDir dir;
  std::string why;
  ASSERT_TRUE(make_tls_files(dir.path, &why)) << why;
  std::ofstream(dir / "web-config.yml")
      << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
         "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
         "basic_auth_users:\n  prometheus: "
      << bcrypt_hash("s3cret", 10) << "\n";
  const int port = free_port();
  // Started from another directory: the file's paths are the file's directory's.
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port),
                       "--web.config.file", dir / "web-config.yml", "--min-interval", "0"});
  ASSERT_TRUE(tool.wait_for_stderr(fmt::format("listening on https://127.0.0.1:{}/metrics", port)));
  auto curl = [&](const std::string& args) { return curl_metrics(dir.path, port, args); };
  auto ok = curl("--cert client.crt --key client.key -u prometheus:s3cret");
  EXPECT_TRUE(ok.out.starts_with("HTTP/1.1 200")) << ok.out;
  EXPECT_NE(ok.out.find("timewait_up{"), std::string::npos) << ok.out.substr(0, 300);
  auto bad = curl("--cert client.crt --key client.key -u prometheus:guess");
  EXPECT_TRUE(bad.out.starts_with("HTTP/1.1 401")) << bad.out;
  EXPECT_EQ(bad.out.find("timewait_"), std::string::npos);
  auto nocert = curl("-u prometheus:s3cret");
  EXPECT_NE(nocert.code, 0) << nocert.out;
  EXPECT_EQ(nocert.out.find("timewait_"), std::string::npos);
  auto r = tool.terminate(30);
  EXPECT_EQ(r.code, 0) << r.err;
}

// The real binary under 8 header floods: its own RSS (not a test process's) stays flat while
// they stream, and its descriptors come back to where they were once they stop.
TEST(ExporterCli, HeaderFloodsDoNotGrowTheExportersMemory) {
  ScopedNetns::remove_stale();
  ScopedNetns ns;
  EnterNetns in(ns.name());  // the exporter (forked from here) and every client live in it
  const int port = free_port();
  BackgroundTool tool(
      {"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--min-interval", "0"});
  ASSERT_TRUE(tool.wait_for_stderr("listening on"));
  int status = 0;
  http_get(port, "/metrics", &status);
  ASSERT_EQ(status, 200);
  const long rss0 = rss_kib(tool.pid());
  // The baseline once the first scrape's connection is closed on the server's side too: the
  // fewest descriptors over a second (CI once read 21 here, and 19 at rest).
  int fds0 = open_fds(tool.pid());
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fds0 = std::min(fds0, open_fds(tool.pid()));
  }
  HostileOptions h;
  h.port = port;
  h.floods = 8;
  h.reconnect_after = std::chrono::milliseconds(50);
  int made = 0, answered = 0;
  long rss_max = rss0;
  {
    HostileClients floods(h);
    const auto end = Clock::now() + std::chrono::seconds(6);
    while (Clock::now() < end) {
      http_get(port, "/metrics", &status, 5);
      ++made;
      answered += status == 200;
      rss_max = std::max(rss_max, rss_kib(tool.pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_GT(floods.flood_bytes(), 1 << 20) << "the floods sent little";
    EXPECT_GE(floods.cut(), 8);
  }
  EXPECT_EQ(answered, made);
  EXPECT_LT(rss_max - rss0, 16 * 1024) << rss0 << " -> " << rss_max << " KiB";
  // The floods gone, the exporter's descriptors come back to where they were (none leaked).
  int fds = open_fds(tool.pid());
  for (int i = 0; i < 100 && fds > fds0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fds = open_fds(tool.pid());
  }
  EXPECT_LE(fds, fds0);
  auto r = tool.terminate(30);
  EXPECT_EQ(r.code, 0) << r.err;
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

// SIGHUP (a closed terminal, a `kill -HUP` meant as "reload") stops as cleanly as SIGTERM:
// before, its default action killed the exporter in the middle of whatever it served.
TEST_F(ExporterLive, SighupStopsCleanly) {
  const int port = free_port();
  BackgroundTool tool(
      {"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--netns", ns_->name()});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";
  EXPECT_NE(http_get(port, "/metrics").find("timewait_up{"), std::string::npos);
  auto r = tool.stop(SIGHUP, 30);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped (SIGHUP)"), std::string::npos) << r.err;
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
                         << read_text(dir / "prometheus.log");

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

namespace tw::testing {
namespace {

// An exposition's samples, "name{labels}" -> value (comments skipped).
std::map<std::string, double> parse_exposition(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

std::string metric_name(const std::string& series) { return series.substr(0, series.find('{')); }

// GET /metrics from inside `netns` (the peer listens on that namespace's loopback).
std::string get_in_netns(const std::string& netns, int port) {
  EnterNetns in(netns);
  // HTTP/1.0: node_exporter (Go) answers it without chunked encoding.
  std::string out = loopback_request(port, "GET /metrics HTTP/1.0\r\n\r\n", 10);
  size_t body = out.find("\r\n\r\n");
  return out.starts_with("HTTP/1.0 200") && body != std::string::npos ? out.substr(body + 4) : "";
}

// node_exporter (Debian's prometheus-node-exporter) runs in the namespace, as it would in a
// container; timewait exporter reads the same namespace with --netns from outside, as a node
// runs it. So scraping ours leaves nothing in the namespace, and the only difference the order
// "ours, then node_exporter" leaves is node_exporter's own scrape connection (both ends
// established in the namespace while it reads: inuse + 2).
TEST_F(ExporterLive, AgreesWithNodeExporterOnTheSameNamespace) {
  const std::string ns = ns_->name();
  {
    EnterNetns in(ns);
    uint16_t p = socks_.listen("127.0.0.1");
    socks_.orphan_fin_wait2("127.0.0.1", p);  // sockstat tw counts it, ss state time-wait not
  }
  TempDir dir;
  const int node_port = free_port();
  Process node({"ip", "netns", "exec", ns, "prometheus-node-exporter",
                fmt::format("--web.listen-address=127.0.0.1:{}", node_port),
                "--collector.disable-defaults", "--collector.sockstat", "--collector.netstat",
                "--collector.netstat.fields=^TcpExt_(TW|TWKilled|TWRecycled|PAWSActive|"
                "PAWSEstab|PAWSTimewait|TCPTimeWaitOverflow)$"},
               dir / "node.log");
  const int port = free_port();
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port), "--netns", ns,
                       "--min-interval", "0"});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";
  std::string node_text;
  for (auto end = Clock::now() + std::chrono::seconds(30);
       Clock::now() < end && node.running() && node_text.empty();) {
    node_text = get_in_netns(ns, node_port);
    if (node_text.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(node_text.empty()) << "node_exporter did not answer: "
                                  << read_text(dir / "node.log");
  // Settle: node_exporter's first scrape left its own TIME_WAIT; the pair below is read after.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto ours = parse_exposition(http_get(port, "/metrics"));
  const auto theirs = parse_exposition(get_in_netns(ns, node_port));
  ASSERT_TRUE(ours.count(fmt::format("timewait_up{{netns=\"{}\"}}", ns)));
  auto our = [&](const std::string& family, const std::string& labels = "") {
    auto it = ours.find(fmt::format("{}{{netns=\"{}\"{}}}", family, ns, labels));
    return it == ours.end() ? std::nan("") : it->second;
  };
  auto node_value = [&](const std::string& name) {
    auto it = theirs.find(name);
    return it == theirs.end() ? std::nan("") : it->second;
  };
  auto sum_ours = [&](const std::string& family, const std::string& must_have) {
    double sum = 0;
    for (const auto& [series, v] : ours)
      if (metric_name(series) == family && series.find(must_have) != std::string::npos) sum += v;
    return sum;
  };

  const double tw = node_value("node_sockstat_TCP_tw");
  EXPECT_EQ(our("timewait_sockstat_tcp_tw"), tw);
  // sockstat tw is TIME_WAIT plus FIN_WAIT2 mini-sockets; our states split them.
  EXPECT_EQ(sum_ours("timewait_sockets", "state=\"time_wait\"") +
                sum_ours("timewait_fin_wait2_mini_sockets", "netns="),
            tw);
  EXPECT_GE(tw, 6);  // 5 TIME_WAIT and the mini-socket, at least
  EXPECT_EQ(our("timewait_sockstat_tcp_inuse") + 2, node_value("node_sockstat_TCP_inuse"));
  EXPECT_EQ(our("timewait_sockstat_tcp6_inuse"), node_value("node_sockstat_TCP6_inuse"));

  // Every TcpExt counter both export, by the kernel's name.
  const std::map<std::string, std::string> counters = {
      {"TW", "timewait_tcpext_tw_total"},
      {"TWKilled", "timewait_tcpext_tw_killed_total"},
      {"TWRecycled", "timewait_tcpext_tw_recycled_total"},
      {"PAWSActive", "timewait_tcpext_paws_active_total"},
      {"PAWSEstab", "timewait_tcpext_paws_estab_total"},
      {"PAWSTimewait", "timewait_tcpext_paws_timewait_total"},
      {"TCPTimeWaitOverflow", "timewait_tcpext_time_wait_overflow_total"}};
  int compared = 0;
  for (const auto& [kernel, family] : counters) {
    const double n = node_value("node_netstat_TcpExt_" + kernel);
    EXPECT_EQ(std::isnan(n), std::isnan(our(family))) << kernel << " exported by one side only";
    if (std::isnan(n)) continue;
    EXPECT_EQ(our(family), n) << kernel;
    ++compared;
  }
  EXPECT_GE(compared, 6);
  EXPECT_GE(our("timewait_tcpext_tw_total"), 5);

  // One Prometheus scraping both gets no series twice: no shared metric name but the process_*
  // families every client library serves (told apart by job and instance, as intended), and no
  // label Prometheus sets itself (job, instance would be renamed exported_*).
  std::set<std::string> node_names, our_names;
  for (const auto& [series, v] : theirs) node_names.insert(metric_name(series));
  for (const auto& [series, v] : ours) our_names.insert(metric_name(series));
  for (const auto& n : our_names) {
    if (n.starts_with("process_")) {
      EXPECT_TRUE(node_names.count(n)) << n << ": not a name client libraries serve";
      continue;
    }
    EXPECT_FALSE(node_names.count(n)) << n << " is node_exporter's too";
    EXPECT_TRUE(n.starts_with("timewait_")) << n;
    // Base units: seconds, ratios 0-1, no milliseconds or percent in a name.
    for (const char* bad : {"_ms", "milli", "percent"})
      EXPECT_EQ(n.find(bad), std::string::npos) << n;
  }
  for (const auto& [series, v] : ours) {
    EXPECT_EQ(series.find("job=\""), std::string::npos) << series;
    EXPECT_EQ(series.find("instance=\""), std::string::npos) << series;
    if (metric_name(series).ends_with("_ratio")) {
      EXPECT_GE(v, 0) << series;
      EXPECT_LE(v, 1) << series;
    }
  }
}

// The pool-pressure alert on real data: Prometheus (1 s scrapes and evaluations) loads
// deploy/'s rules and scrapes the exporter of a namespace whose port range is 100 ports, 95 of
// them in TIME_WAIT toward one destination. The alert fires for that tuple, with its share as the
// value, and not for a second tuple holding 3 ports. The rules' `for: 1m` is shortened to 2 s in
// a copy (the rule's expression is what runs on real data here; `promtool test rules` checks the
// durations).
TEST_F(ExporterLive, PoolPressureAlertFiresInPrometheusForTheRightTuple) {
  const auto started = Clock::now();
  const std::string ns = ns_->name();
  auto r = run_command(
      fmt::format("ip netns exec {} sysctl -qw net.ipv4.ip_local_port_range='40000 40099'", ns));
  ASSERT_EQ(r.code, 0) << r.out;
  uint16_t hot = 0, calm = 0;
  {
    EnterNetns in(ns);
    hot = socks_.listen("127.0.0.1");
    calm = socks_.listen("127.0.0.1");
    for (int i = 0; i < 95; ++i) socks_.time_wait("127.0.0.1", hot);
    for (int i = 0; i < 3; ++i) socks_.time_wait("127.0.0.1", calm);
  }
  const int exporter_port = free_port();
  BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", exporter_port),
                       "--netns", ns, "--min-interval", "1"});
  ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";

  TempDir dir;
  std::string rules =
      read_text(std::string(FIXTURES_DIR) + "/../../deploy/prometheus/timewait.rules.yml");
  ASSERT_NE(rules.find("for: 1m"), std::string::npos);
  rules = std::regex_replace(rules, std::regex("for: 1m"), "for: 2s");
  std::ofstream(dir / "rules.yml") << rules;
  std::ofstream(dir / "prometheus.yml") << fmt::format(
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "rule_files: ['{}']\n"
      "scrape_configs:\n  - job_name: timewait\n    static_configs:\n"
      "      - targets: ['127.0.0.1:{}']\n",
      dir / "rules.yml", exporter_port);
  const int prom_port = free_port();
  Process prom({"prometheus", "--config.file=" + (dir / "prometheus.yml"),
                "--storage.tsdb.path=" + (dir / "data"),
                fmt::format("--web.listen-address=127.0.0.1:{}", prom_port), "--log.level=warn"},
               dir / "prometheus.log");

  // Bounded: the TIME_WAITs last 60 s, so the alert must fire well within that.
  nlohmann::json firing;
  std::string last;
  const auto end = Clock::now() + std::chrono::seconds(45);
  while (Clock::now() < end && prom.running() && firing.is_null()) {
    last = http_get(prom_port, "/api/v1/alerts", nullptr, 5);
    auto j = nlohmann::json::parse(last, nullptr, false);
    if (!j.is_discarded() && j.value("status", "") == "success")
      for (const auto& a : j["data"]["alerts"])
        if (a["labels"].value("alertname", "") == "TimewaitPortPressureCritical" &&
            a.value("state", "") == "firing")
          firing.push_back(a);
    if (firing.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_FALSE(firing.is_null()) << "no firing TimewaitPortPressureCritical: " << last
                                 << read_text(dir / "prometheus.log");
  ASSERT_EQ(firing.size(), 1u) << firing.dump();
  const auto& labels = firing[0]["labels"];
  EXPECT_EQ(labels.value("netns", ""), ns);
  EXPECT_EQ(labels.value("severity", ""), "critical");
  EXPECT_EQ(labels.value("local_address", ""), "127.0.0.1");
  EXPECT_EQ(labels.value("remote_address", ""), "127.0.0.1");
  EXPECT_EQ(labels.value("remote_port", ""), fmt::format("{}", hot));
  // The share of the tuple's pool: 95 TIME_WAITs of the 98 ports connect() can use (the two
  // listeners' ports inside the range are skipped; the 3 ESTABLISHED of SetUp hold ports from
  // the range in force before it was narrowed, outside this pool).
  EXPECT_DOUBLE_EQ(std::stod(firing[0].value("value", "nan")), 95.0 / 98);
  EXPECT_NE(firing[0]["annotations"].value("summary", "").find("96.94%"), std::string::npos)
      << firing[0].dump();
  EXPECT_DOUBLE_EQ(prom_value(prom_port, fmt::format("timewait:tuple_port_use:ratio{{netns=\"{}\","
                                                     "remote_port=\"{}\"}}",
                                                     ns, calm)),
                   3.0 / 98);
  EXPECT_EQ(prom_value(prom_port,
                       fmt::format("timewait_tuples_over_critical_port_use{{netns=\"{}\"}}", ns)),
            1);
  // What CI pays for this test (the budget is minutes; this is seconds).
  const double took = std::chrono::duration<double>(Clock::now() - started).count();
  RecordProperty("seconds", fmt::format("{:.1f}", took));
  EXPECT_LT(took, 55);
}

}  // namespace
}  // namespace tw::testing
