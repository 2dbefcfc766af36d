// SPDX-License-Identifier: Apache-2.0
// `timewait trace` as a user runs it, against the real kernel: traffic from child processes with
// known pids and command names in a namespace made by the test, traced from the host's mount
// namespace with --netns, and checked against what the traffic itself did.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::BackgroundTool;
using testing::run_tool;
using testing::ScopedNetns;

#if TIMEWAIT_BPF_BUILT

// A child process inside a namespace, named `comm`, that runs fn and reports one number back.
struct Child {
  pid_t pid = -1;
  int fd = -1;
};

Child spawn(const std::string& netns, const std::string& comm, std::function<int64_t()> fn) {
  int p[2];
  if (pipe(p) != 0) return {};
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    close(p[0]);
    int ns = open(("/run/netns/" + netns).c_str(), O_RDONLY);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(3);
    prctl(PR_SET_NAME, comm.c_str());
    int64_t v = fn();
    (void)!write(p[1], &v, sizeof v);
    _exit(0);
  }
  close(p[1]);
  c.fd = p[0];
  return c;
}

// The child's number, or -1 when it died without one.
int64_t result_of(Child& c) {
  int64_t v = -1;
  if (read(c.fd, &v, sizeof v) != sizeof v) v = -1;
  close(c.fd);
  waitpid(c.pid, nullptr, 0);
  return v;
}

using testing::loopback;

int listener(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(port);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 128) != 0) return -1;
  return s;
}

void drain_and_close(int fd) {
  char buf[64];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
}

// Accepts until killed; every connection: read to EOF, then close (the client closes first).
int64_t serve_passive(int lfd) {
  for (;;) {
    int c = accept(lfd, nullptr, nullptr);
    if (c >= 0) drain_and_close(c);
  }
}

// A listening socket on 127.0.0.1:port inside the namespace (-1 on failure).
int listener_in(const ScopedNetns& ns, uint16_t port) {
  testing::EnterNetns in(ns.name());
  return listener(port);
}

// A child process named `comm` serving 127.0.0.1:port in the namespace with serve_passive.
class PassiveServer {
 public:
  PassiveServer(const ScopedNetns& ns, uint16_t port, const std::string& comm)
      : lfd_(listener_in(ns, port)) {
    EXPECT_GE(lfd_, 0);
    child_ = spawn(ns.name(), comm, [this] { return serve_passive(lfd_); });
  }
  ~PassiveServer() { stop(); }
  void stop() {
    if (child_.pid <= 0) return;
    kill(child_.pid, SIGKILL);
    result_of(child_);
    close(lfd_);
    child_.pid = -1;
  }

 private:
  int lfd_;
  Child child_;
};

// Starts the tracer on the namespace and waits until it is attached.
std::unique_ptr<BackgroundTool> start_tracer(const ScopedNetns& ns,
                                             std::vector<std::string> extra) {
  std::vector<std::string> args{"trace", "--netns", ns.name()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto t = std::make_unique<BackgroundTool>(args);
  EXPECT_TRUE(t->wait_for_stderr("tracing TCP")) << "the tracer did not start";
  return t;
}

const json* process(const json& summary, pid_t pid) {
  for (const json& p : summary["processes"])
    if (p["pid"] == pid) return &p;
  return nullptr;
}

TEST(TraceCli, SummaryAttributesConnectsAndClosesToEachProcess) {
  ScopedNetns ns("twtest");
  constexpr int kN = 200;  // half closed by the client first, half by the server
  constexpr uint16_t kPort = 8090;
  auto tracer = start_tracer(ns, {"--summary", "--json"});

  int lfd = listener_in(ns, kPort);
  ASSERT_GE(lfd, 0);
  Child server = spawn(ns.name(), "twburst-srv", [lfd] {
    int64_t n = 0;
    for (int i = 0; i < kN; i++) {
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) return int64_t{-1};
      char who = 0;
      if (read(c, &who, 1) != 1) return int64_t{-1};
      if (who == 's')
        close(c);  // the server closes first: its TIME_WAIT
      else
        drain_and_close(c);
      n++;
    }
    return n;
  });
  Child client = spawn(ns.name(), "twburst-cli", [] {
    int64_t ok = 0;
    for (int i = 0; i < kN; i++) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = loopback(kPort);
      if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return int64_t{-1};
      char who = i % 2 ? 's' : 'c';
      if (write(s, &who, 1) != 1) return int64_t{-1};
      if (who == 'c')
        close(s);  // the client closes first
      else
        drain_and_close(s);
      ok++;
    }
    return ok;
  });
  ASSERT_EQ(result_of(client), kN);
  ASSERT_EQ(result_of(server), kN);
  close(lfd);

  auto r = tracer->interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["lost"]["events"], 0);
  EXPECT_EQ(j["lost"]["keys"], 0);
  EXPECT_EQ(j["lost"]["sockets"], 0);
  const json* cli = process(j, client.pid);
  const json* srv = process(j, server.pid);
  ASSERT_TRUE(cli) << j.dump(2);
  ASSERT_TRUE(srv) << j.dump(2);
  EXPECT_EQ((*cli)["comm"], "twburst-cli");
  EXPECT_EQ((*cli)["connects"], kN);
  EXPECT_EQ((*cli)["active_closes"], kN / 2);
  EXPECT_EQ((*cli)["passive_closes"], kN / 2);
  EXPECT_EQ((*cli)["closes_first"], "both");
  EXPECT_EQ((*srv)["comm"], "twburst-srv");
  EXPECT_EQ((*srv)["connects"], 0);
  EXPECT_EQ((*srv)["active_closes"], kN / 2);
  EXPECT_EQ((*srv)["passive_closes"], kN / 2);
  // Per tuple: the client's toward the server's address and port, the server's on its port.
  bool client_flow = false, server_flow = false;
  for (const json& f : j["flows"]) {
    if (f["pid"] == client.pid && f["role"] == "client") {
      client_flow = true;
      EXPECT_EQ(f["remote"], fmt::format("127.0.0.1:{}", kPort));
      EXPECT_EQ(f["connects"], kN);
    }
    if (f["pid"] == server.pid && f["role"] == "server") {
      server_flow = true;
      EXPECT_EQ(f["local"], fmt::format("127.0.0.1:{}", kPort));
      EXPECT_EQ(f["active_closes"], kN / 2);
    }
  }
  EXPECT_TRUE(client_flow && server_flow) << j.dump(2);
  // Only the namespace's own traffic: the test's two processes (and the listener's owner).
  for (const json& p : j["processes"])
    EXPECT_TRUE(p["pid"] == client.pid || p["pid"] == server.pid) << p.dump();
}

// Connects `n` times to 127.0.0.1:port, closing first (each success leaves a TIME_WAIT);
// returns the EADDRNOTAVAIL failures, or -1 on any other error.
int64_t churn(uint16_t port, int n) {
  int64_t eaddrnotavail = 0;
  for (int i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (errno != EADDRNOTAVAIL) return -1;
      eaddrnotavail++;
    }
    close(s);
  }
  return eaddrnotavail;
}

TEST(TraceCli, EveryEaddrnotavailIsAttributedToTheClientAndDestination) {
  ScopedNetns ns("twtest");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40019");  // 20 ports
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // loopback reuse would hide the exhaustion
  constexpr uint16_t kPort = 8091;
  constexpr int kAttempts = 60;
  auto tracer = start_tracer(ns, {"--summary", "--json"});
  PassiveServer server(ns, kPort, "twchurn-srv");
  Child client = spawn(ns.name(), "twchurn-cli", [] { return churn(kPort, kAttempts); });
  int64_t seen = result_of(client);
  server.stop();
  ASSERT_GT(seen, 0) << "20 ports should not serve 60 connects within TIME_WAIT";

  auto r = tracer->interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["lost"]["keys"], 0);
  int64_t attributed = 0, elsewhere = 0;
  for (const json& f : j["flows"]) {
    int64_t n = f["failed_connects"].value("EADDRNOTAVAIL", 0);
    if (f["pid"] == client.pid && f["comm"] == "twchurn-cli" &&
        f["remote"] == fmt::format("127.0.0.1:{}", kPort))
      attributed += n;
    else
      elsewhere += n;
  }
  EXPECT_EQ(attributed, seen) << j.dump(2);
  EXPECT_EQ(elsewhere, 0) << j.dump(2);
  const json* cli = process(j, client.pid);
  ASSERT_TRUE(cli);
  EXPECT_EQ((*cli)["connects"], kAttempts - seen);
}

// Two processes in one namespace with a 20-port range: one churns 15 connections toward one
// server (15 TIME_WAITs, no failure), the other tries 50 toward another and runs its tuple's
// pool out. Each process's counts are its own: the failures all go to the second, the TIME_WAITs
// of the first to the first.
TEST(TraceCli, TwoProcessesChurnAndExhaustAndEachGetsItsOwnCounts) {
  ScopedNetns ns("twtest");
  ns.set_sysctl("net.ipv4.ip_local_port_range", "40000 40019");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");
  constexpr uint16_t kChurnPort = 8093, kExhaustPort = 8094;
  constexpr int kChurn = 15, kExhaust = 50;
  auto tracer = start_tracer(ns, {"--summary", "--json"});
  PassiveServer a(ns, kChurnPort, "twpair-srv1");
  PassiveServer b(ns, kExhaustPort, "twpair-srv2");
  Child churner = spawn(ns.name(), "twpair-churn", [] { return churn(kChurnPort, kChurn); });
  ASSERT_EQ(result_of(churner), 0);
  Child exhauster =
      spawn(ns.name(), "twpair-exhaust", [] { return churn(kExhaustPort, kExhaust); });
  const int64_t failed = result_of(exhauster);
  a.stop();
  b.stop();
  ASSERT_GT(failed, 0) << "20 ports cannot serve 50 connects within TIME_WAIT";

  auto r = tracer->interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["lost"]["keys"], 0);
  EXPECT_EQ(j["lost"]["sockets"], 0);
  const json* c = process(j, churner.pid);
  const json* x = process(j, exhauster.pid);
  ASSERT_TRUE(c && x) << j.dump(2);
  EXPECT_EQ((*c)["comm"], "twpair-churn");
  EXPECT_EQ((*c)["connects"], kChurn);
  EXPECT_EQ((*c)["active_closes"], kChurn);
  EXPECT_EQ((*c)["failed_connects"].value("EADDRNOTAVAIL", 0), 0) << c->dump();
  EXPECT_EQ((*x)["comm"], "twpair-exhaust");
  EXPECT_EQ((*x)["connects"], kExhaust - failed);
  EXPECT_EQ((*x)["active_closes"], kExhaust - failed);
  EXPECT_EQ((*x)["failed_connects"].value("EADDRNOTAVAIL", 0), failed) << x->dump();
  for (const json& f : j["flows"]) {
    if (f["pid"] == churner.pid && f["role"] == "client") {
      EXPECT_EQ(f["remote"], fmt::format("127.0.0.1:{}", kChurnPort));
    }
    if (f["pid"] == exhauster.pid && f["role"] == "client") {
      EXPECT_EQ(f["remote"], fmt::format("127.0.0.1:{}", kExhaustPort));
    }
  }
}

// A client that connects `n` times from 127.0.0.1, binding first (port 0), with or without
// IP_BIND_ADDRESS_NO_PORT.
int64_t bind_then_connect(uint16_t port, int n, bool no_port) {
  int64_t ok = 0;
  for (int i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (no_port) setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local = loopback(0);
    if (bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return -1;
    sockaddr_in a = loopback(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) ok++;
    close(s);
  }
  return ok;
}

TEST(TraceCli, BindBeforeConnectIsFlaggedOnlyWithoutBindAddressNoPort) {
  ScopedNetns ns("twtest");
  constexpr uint16_t kPort = 8092;
  constexpr int kN = 5;
  auto tracer = start_tracer(ns, {"--summary", "--json"});
  PassiveServer server(ns, kPort, "twbind-srv");
  Child port0 =
      spawn(ns.name(), "twbind-port0", [] { return bind_then_connect(kPort, kN, false); });
  ASSERT_EQ(result_of(port0), kN);
  Child noport =
      spawn(ns.name(), "twbind-noport", [] { return bind_then_connect(kPort, kN, true); });
  ASSERT_EQ(result_of(noport), kN);
  server.stop();

  auto r = tracer->interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  const json* flagged = process(j, port0.pid);
  const json* clean = process(j, noport.pid);
  ASSERT_TRUE(flagged && clean) << j.dump(2);
  EXPECT_EQ((*flagged)["bind_before_connect"], kN);
  EXPECT_EQ((*flagged)["connects"], kN);
  EXPECT_EQ((*clean)["bind_before_connect"], 0);
  EXPECT_EQ((*clean)["connects"], kN);
}

TEST(TraceCli, StreamsTransitionsWithTheProcessOnlyFromItsOwnContext) {
  ScopedNetns ns("twtest");
  constexpr uint16_t kPort = 8093;
  auto tracer = start_tracer(ns, {"--json"});
  PassiveServer server(ns, kPort, "twstream-srv");
  Child client = spawn(ns.name(), "twstream-cli", [] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(kPort);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return int64_t{-1};
    close(s);
    return int64_t{1};
  });
  ASSERT_EQ(result_of(client), 1);
  usleep(200 * 1000);  // the server's side closes after the client's FIN
  server.stop();

  auto r = tracer->interrupt();
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::map<std::string, json> client_events;  // "FROM->TO" of the client's socket
  json end;
  while (std::getline(lines, line)) {
    json e = json::parse(line);
    if (e["event"] == "end") end = e;
    if (e["event"] == "state" && e["remote"] == fmt::format("127.0.0.1:{}", kPort))
      client_events[e["from"].get<std::string>() + "->" + e["to"].get<std::string>()] = e;
  }
  ASSERT_FALSE(end.is_null()) << r.out;
  EXPECT_EQ(end["lost"]["events"], 0);
  for (const char* t : {"CLOSE->SYN_SENT", "ESTABLISHED->FIN_WAIT1"}) {
    ASSERT_TRUE(client_events.count(t)) << t << "\n" << r.out;
    EXPECT_EQ(client_events[t]["pid"], client.pid) << t;
    EXPECT_EQ(client_events[t]["attribution"], "caller") << t;
  }
  // FIN_WAIT2 -> CLOSE runs in softirq: the pid is the remembered owner, never the CPU's.
  ASSERT_TRUE(client_events.count("FIN_WAIT2->CLOSE")) << r.out;
  EXPECT_EQ(client_events["FIN_WAIT2->CLOSE"]["pid"], client.pid);
  EXPECT_EQ(client_events["FIN_WAIT2->CLOSE"]["attribution"], "owner");
  EXPECT_EQ(client_events["FIN_WAIT2->CLOSE"]["comm"], "twstream-cli");
}

TEST(TraceCli, DoctorTraceNamesTheProcessBehindTheWorstTuple) {
  ScopedNetns ns("twtest");
  constexpr uint16_t kPort = 8094;
  PassiveServer server(ns, kPort, "twdoc-srv");
  BackgroundTool doctor({"doctor", "--netns", ns.name(), "--trace", "3", "--json"});
  ASSERT_TRUE(doctor.wait_for_stderr("tracing TCP for 3 s")) << doctor.finish().err;
  // Bounded churn that outlasts the sample: the client closes first, so the TIME_WAITs are its.
  Child client = spawn(ns.name(), "twdoc-cli", [] {
    int64_t n = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (n < 2000 && std::chrono::steady_clock::now() < end) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = loopback(kPort);
      if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) n++;
      close(s);
      usleep(2000);
    }
    return n;
  });
  auto r = doctor.finish();
  ASSERT_GT(result_of(client), 0);
  server.stop();
  ASSERT_TRUE(r.code == 0 || r.code == 3 || r.code == 4) << r.err;
  json j = json::parse(r.out);
  const json* found = nullptr;
  for (const json& f : j["findings"])
    if (f["id"] == "trace-owners") found = &f;
  ASSERT_TRUE(found) << r.out;
  std::string who = fmt::format("pid {} (twdoc-cli)", client.pid);
  EXPECT_NE((*found)["title"].get<std::string>().find(
                fmt::format("127.0.0.1 -> 127.0.0.1:{} are made by {}", kPort, who)),
            std::string::npos)
      << found->dump(2);
}

// SIGHUP (a closed terminal or ssh session) ends the trace as Ctrl-C does: with its summary and
// exit 0, where it used to die without one. A process named with terminal controls (anyone may
// name a process so) is shown escaped.
TEST(TraceCli, SighupEndsWithTheSummaryAndNamesAreEscaped) {
  ScopedNetns ns("twtest");
  constexpr uint16_t kPort = 8095;
  const std::string comm = "tw\x1b]0;x\x07";
  PassiveServer server(ns, kPort, "twhup-srv");
  auto tracer = start_tracer(ns, {"--summary"});
  Child client = spawn(ns.name(), comm, [] {
    int64_t n = 0;
    for (int i = 0; i < 20; ++i) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = loopback(kPort);
      if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) n++;
      close(s);
    }
    return n;
  });
  ASSERT_EQ(result_of(client), 20);
  auto r = tracer->stop(SIGHUP);
  server.stop();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("TCP connects and closes per process"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("{} tw\\x1b]0;x\\x07", client.pid)), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
}

// SIGTERM during doctor --trace ends the trace, not the doctor: the findings of what was traced,
// with the doctor's exit status (it died by the signal, status 143, with nothing printed).
TEST(TraceCli, DoctorTraceEndsWithItsFindingsOnSigterm) {
  ScopedNetns ns("twtest");
  BackgroundTool doctor({"doctor", "--netns", ns.name(), "--trace", "120"});
  ASSERT_TRUE(doctor.wait_for_stderr("tracing TCP for 120 s")) << doctor.finish().err;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = doctor.terminate(60);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r.code == 0 || r.code == 3 || r.code == 4) << r.code << "\n" << r.err;
  EXPECT_NE(r.out.find("worst: "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("stopped by a signal: the trace covers"), std::string::npos) << r.err;
  EXPECT_LT(s, 60.0);
}

#else

// Built without libbpf/bpftool/clang-16: trace says so, the rest of timewait is unchanged.
TEST(TraceCli, WithoutTheBpfBuildSaysSoAndExits2) {
  testing::expect_usage_errors({{"trace --duration 1", "built without BPF support"}});
}

#endif

TEST(TraceCli, BadOptionsAreOneLineAndExit2) {
  testing::expect_usage_errors({
      {"trace --comm averyveryverylongname", "15 characters"},
      {"trace --netns twtest-no-such-namespace", "does not exist"},
      {"trace --summary --state time-wait", "--state"},
      {"trace --dport 70000", "not a port"},
      {"trace --state bogus", "bogus"},
      {"trace --duration -1", "--duration"},
  });
}

#if TIMEWAIT_BPF_BUILT
TEST(TraceCli, WithoutCapabilitiesSaysWhatIsMissingAndExits2) {
  std::string out = testing::run_output(fmt::format(
      "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} trace --duration 1 "
      "2>&1; echo rc=$?",
      TIMEWAIT_BIN));
  EXPECT_NE(out.find("timewait: error: timewait trace needs CAP_BPF and CAP_PERFMON"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;  // the error and rc=
  // The rest of timewait still works for that user.
  std::string census = testing::run_output(fmt::format(
      "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} explain time-wait "
      ">/dev/null; echo rc=$?",
      TIMEWAIT_BIN));
  EXPECT_NE(census.find("rc=0"), std::string::npos) << census;
}
#endif

}  // namespace
}  // namespace tw
