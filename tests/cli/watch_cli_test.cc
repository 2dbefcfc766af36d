// SPDX-License-Identifier: Apache-2.0
// `timewait watch` run for real against a namespace where a bounded churn runs (~50 short
// connections per second to a listener, the client closing first, for at most 30 s): on an
// 80x24 terminal under tmux the churn's destination comes first with a rate near the churn's,
// `p` freezes the screen, a resize keeps it whole, `q` exits 0 and gives the terminal back; the
// log and the JSON lines carry the same destination; memory stays flat over many refreshes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "lab/churn_client.h"
#include "lab/namespace.h"
#include "lab/server.h"
#include "lab/stop.h"
#include "run_tool.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using testing::run_output;
using testing::run_tool;

constexpr const char* kAddr = "127.0.0.1";
constexpr uint16_t kPort = 8080;
constexpr const char* kTuple = "127.0.0.1 -> 127.0.0.1:8080";
constexpr double kRate = 50;  // connections per second
constexpr double kMaxSeconds = 30;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A lab namespace with a listener and a churning client inside; stopped and removed at the end,
// whatever the test did.
class Churn {
 public:
  Churn() {
    auto ns = lab::Netns::create("watch");
    if (!ns) {
      ADD_FAILURE() << ns.error();
      return;
    }
    ns_ = std::move(*ns);
    auto server = lab::Server::start(*ns_, {kAddr, kPort, lab::CloseMode::kClientFirst, true});
    if (!server) {
      ADD_FAILURE() << server.error();
      return;
    }
    server_ = std::move(*server);
    start_ = Clock::now();
    thread_ = std::thread([this] {
      lab::ChurnConfig c{kAddr,       kPort, kRate, static_cast<int64_t>(kRate * kMaxSeconds),
                         kMaxSeconds, 4};
      auto r = lab::run_churn_epoll(*ns_, c);
      if (!r) error_ = r.error();
    });
  }
  ~Churn() {
    lab::request_stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    ns_.reset();
  }
  bool ok() const { return ns_ && server_; }
  const std::string& name() const { return ns_->name(); }
  int64_t accepted() const { return server_->accepted(); }
  double seconds() const { return since(start_); }
  const std::string& error() const { return error_; }

 private:
  lab::StopOnSignals stop_;  // clears the lab's stop flag; Ctrl-C of the test stops the churn
  std::unique_ptr<lab::Netns> ns_;
  std::unique_ptr<lab::Server> server_;
  std::thread thread_;
  std::string error_;
  Clock::time_point start_;
};

// A tmux session on an 80x24 window, killed at the end even when the test fails.
class Tmux {
 public:
  explicit Tmux(const std::string& command)
      : name_(fmt::format("twwatch-{}-{}", getpid(), counter_++)) {
    // The shell line after the command shows how it exited once the screen is given back.
    tmux(fmt::format("new-session -d -s {} -x 80 -y 24 \"{}; echo watch-exited-\\$?; sleep 60\"",
                     name_, command));
  }
  ~Tmux() { std::system(fmt::format("tmux kill-session -t {} 2>/dev/null", name_).c_str()); }
  std::string capture() const {
    return run_output(fmt::format("tmux capture-pane -p -t {}", name_));
  }
  // With the pane's attributes and colours as escape sequences.
  std::string capture_escapes() const {
    return run_output(fmt::format("tmux capture-pane -e -p -t {}", name_));
  }
  std::string show(const std::string& format) const {
    std::string s = run_output(fmt::format("tmux display-message -p -t {} '{}'", name_, format));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  void keys(const std::string& keys) const { tmux(fmt::format("send-keys -t {} {}", name_, keys)); }
  void tmux(const std::string& args) const {
    ASSERT_EQ(std::system(("tmux " + args).c_str()), 0) << args;
  }
  // Waits (bounded) until the pane shows `text`.
  bool wait_for(const std::string& text, double seconds) const {
    for (auto t0 = Clock::now(); since(t0) < seconds; std::this_thread::sleep_for(100ms))
      if (capture().find(text) != std::string::npos) return true;
    return false;
  }

 private:
  static inline int counter_ = 0;
  std::string name_;
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The screen without its title line (the clock) : what the data area shows.
std::string data_area(const std::string& screen) {
  auto nl = screen.find('\n');
  return nl == std::string::npos ? "" : screen.substr(nl + 1);
}

double parse_rate(const std::string& text) {
  std::smatch m;
  static const std::regex kRateRe("~([0-9.,]+)/s");
  if (!std::regex_search(text, m, kRateRe)) return -1;
  std::string n = m[1];
  std::erase(n, ',');
  return std::stod(n);
}

// The server's accepts per second over the last 10 s, from a record of (time, accepted).
struct AcceptRate {
  std::deque<std::pair<Clock::time_point, int64_t>> seen;
  void note(int64_t accepted) {
    seen.emplace_back(Clock::now(), accepted);
    while (seen.size() > 2 && seen.front().first < Clock::now() - 10s) seen.pop_front();
  }
  double rate() const {
    if (seen.size() < 2) return 0;
    double s = std::chrono::duration<double>(seen.back().first - seen.front().first).count();
    return s > 0 ? (seen.back().second - seen.front().second) / s : 0;
  }
};

TEST(WatchCli, ScreenShowsTheChurnFirstPausesResizesAndQuitsCleanly) {
  Churn churn;
  ASSERT_TRUE(churn.ok());
  Tmux tmux(fmt::format("{} watch --netns {} --interval 0.5", TIMEWAIT_BIN, churn.name()));
  ASSERT_TRUE(tmux.wait_for("LOCAL -> REMOTE", 20)) << tmux.capture();
  EXPECT_EQ(tmux.show("#{alternate_on}"), "1");
  // Twelve seconds of churn: the 10 s rate from the TIME_WAIT timers has a full window.
  AcceptRate ref;
  while (churn.seconds() < 12.5) {
    ref.note(churn.accepted());
    std::this_thread::sleep_for(250ms);
  }
  ref.note(churn.accepted());
  const std::string screen = tmux.capture();
  auto lines = lines_of(screen);
  ASSERT_GE(lines.size(), 24u) << screen;
  for (const auto& l : lines) EXPECT_LE(l.size(), 80u) << l;
  size_t header = 0;
  while (header < lines.size() && lines[header].find("LOCAL -> REMOTE") == std::string::npos)
    ++header;
  ASSERT_LT(header + 1, lines.size()) << screen;
  const std::string& first = lines[header + 1];
  EXPECT_NE(first.find(kTuple), std::string::npos) << screen;
  const double shown = parse_rate(first.substr(first.find(kTuple) + std::string(kTuple).size()));
  const double expected = ref.rate();
  EXPECT_GT(expected, kRate / 3) << "the churn ran too slowly to judge: " << churn.error();
  EXPECT_GT(shown, 0.6 * expected) << first << "\nserver accepted ~" << expected << "/s";
  EXPECT_LT(shown, 1.4 * expected) << first << "\nserver accepted ~" << expected << "/s";
  EXPECT_NE(screen.find("TIME-WAIT"), std::string::npos);
  EXPECT_NE(lines[23].find("q quit"), std::string::npos) << lines[23];

  // Running, the numbers move between refreshes; paused, they do not.
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(data_area(tmux.capture()), data_area(screen));
  tmux.keys("p");
  ASSERT_TRUE(tmux.wait_for("PAUSED", 5)) << tmux.capture();
  const std::string frozen = tmux.capture();
  std::this_thread::sleep_for(2s);  // four intervals
  EXPECT_EQ(data_area(tmux.capture()), data_area(frozen));
  tmux.keys("p");
  EXPECT_TRUE(tmux.wait_for("p pause", 5));

  // Sort and filter from the keyboard.
  tmux.keys("s");
  EXPECT_TRUE(tmux.wait_for("sort: rate", 5)) << tmux.capture();
  tmux.keys("/ 5432 Enter");
  EXPECT_TRUE(tmux.wait_for("nothing matches '5432'", 5)) << tmux.capture();
  tmux.keys("/ Escape");
  EXPECT_TRUE(tmux.wait_for(kTuple, 5)) << tmux.capture();

  // A smaller window: every line fits and the keys stay on the last one.
  tmux.tmux(fmt::format("resize-window -t {} -x 60 -y 16", tmux.show("#{session_name}")));
  std::this_thread::sleep_for(1500ms);
  auto small = lines_of(tmux.capture());
  ASSERT_EQ(small.size(), 16u);
  for (const auto& l : small) EXPECT_LE(l.size(), 60u) << l;
  EXPECT_NE(small[15].find("q quit"), std::string::npos) << small[15];

  tmux.keys("q");
  ASSERT_TRUE(tmux.wait_for("watch-exited-0", 10)) << tmux.capture();
  EXPECT_EQ(tmux.show("#{alternate_on}"), "0");
  EXPECT_EQ(tmux.capture().find("LOCAL -> REMOTE"), std::string::npos) << tmux.capture();
}

TEST(WatchCli, ColoursOnlyWithoutNoColor) {
  testing::ScopedNetns ns("twwatch");
  static const std::regex kColour("\x1b\\[[0-9;]*3[0-7]m");  // a foreground colour
  for (bool no_color : {false, true}) {
    SCOPED_TRACE(no_color ? "NO_COLOR=1" : "colours");
    Tmux tmux(fmt::format("{}{} watch --netns {} --interval 0.5", no_color ? "NO_COLOR=1 " : "",
                          TIMEWAIT_BIN, ns.name()));
    ASSERT_TRUE(tmux.wait_for("q quit", 20)) << tmux.capture();
    const std::string screen = tmux.capture_escapes();
    EXPECT_EQ(std::regex_search(screen, kColour), !no_color) << screen;
    // Without colours the highlights are attributes: the title bar stays in reverse video.
    EXPECT_NE(screen.find("\x1b[7m"), std::string::npos) << screen;
    tmux.keys("q");
    EXPECT_TRUE(tmux.wait_for("watch-exited-0", 10)) << tmux.capture();
  }
}

// SIGHUP (the terminal or ssh session closing) and SIGTERM end watch like q: the main screen
// is back, the cursor shown, exit status 0. SIGHUP used to kill it on the alternate screen with
// the cursor hidden.
TEST(WatchCli, SighupAndSigtermGiveTheTerminalBack) {
  testing::ScopedNetns ns("twwatch");
  for (int sig : {SIGHUP, SIGTERM}) {
    SCOPED_TRACE(strsignal(sig));
    Tmux tmux(fmt::format("{} watch --netns {} --interval 0.5", TIMEWAIT_BIN, ns.name()));
    ASSERT_TRUE(tmux.wait_for("q quit", 20)) << tmux.capture();
    ASSERT_EQ(tmux.show("#{alternate_on}"), "1");
    ASSERT_EQ(tmux.show("#{cursor_flag}"), "0");  // watch hides it
    // The pane runs a shell; watch is its child.
    const std::string shell = tmux.show("#{pane_pid}");
    std::string watch = run_output("pgrep -P " + shell);
    while (!watch.empty() && watch.back() == '\n') watch.pop_back();
    ASSERT_FALSE(watch.empty());
    ASSERT_EQ(kill(std::stoi(watch), sig), 0);
    ASSERT_TRUE(tmux.wait_for("watch-exited-0", 10)) << tmux.capture();
    EXPECT_EQ(tmux.show("#{alternate_on}"), "0");
    EXPECT_EQ(tmux.show("#{cursor_flag}"), "1");
    EXPECT_EQ(tmux.capture().find("q quit"), std::string::npos) << tmux.capture();
  }
}

// As census: a namespace the user may not enter is one line and exit 2, before any screen or
// log (it printed a block of errors per refresh and exited 0).
TEST(WatchCli, ANamespaceThatCannotBeEnteredIsOneLineAndExit2) {
  testing::ScopedNetns ns("twwatch");
  for (const char* mode : {"", "--json "}) {
    SCOPED_TRACE(mode);
    const std::string out = run_output(fmt::format(
        "setpriv --reuid=65534 --regid=65534 --clear-groups {} watch {}--netns {} --count 2 "
        "2>&1; echo rc=$?",
        TIMEWAIT_BIN, mode, ns.name()));
    EXPECT_NE(out.find("needs root (CAP_SYS_ADMIN)"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\nrc=2\n")) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  }
}

// On a terminal that cannot place the cursor (TERM=dumb) the log is written, as to a pipe: the
// screen came out garbled there, its last line alone readable. A TERM that names no terminal is
// one line and exit 1.
TEST(WatchCli, ADumbOrUnknownTerminalGetsTheLogOrOneLine) {
  testing::ScopedNetns ns("twwatch");
  static const std::regex kStamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ twwatch-\S+ #2 )");
  {
    Tmux tmux(fmt::format("TERM=dumb {} watch --netns {} --interval 0.2 --count 2", TIMEWAIT_BIN,
                          ns.name()));
    ASSERT_TRUE(tmux.wait_for("watch-exited-0", 20)) << tmux.capture();
    const std::string screen = tmux.capture();
    bool second_block = false;
    for (const auto& l : lines_of(screen)) second_block |= std::regex_search(l, kStamp);
    EXPECT_TRUE(second_block) << screen;
    EXPECT_EQ(screen.find("q quit"), std::string::npos) << screen;
  }
  for (const char* term : {"env -u TERM", "TERM=", "TERM=no-such-terminal"}) {
    Tmux tmux(fmt::format("{} {} watch --netns {} --count 2", term, TIMEWAIT_BIN, ns.name()));
    ASSERT_TRUE(tmux.wait_for("watch-exited-1", 20)) << term << "\n" << tmux.capture();
    const std::string screen = tmux.capture();
    EXPECT_NE(screen.find("timewait: error: cannot drive the terminal"), std::string::npos)
        << screen;
    EXPECT_NE(screen.find(std::string(term) == "env -u TERM" ? "TERM is unset"
                          : std::string(term) == "TERM="     ? "TERM is empty"
                                                             : "TERM=no-such-terminal"),
              std::string::npos)
        << screen;
  }
}

TEST(WatchCli, LogHasOneBlockPerRefreshWithTheChurn) {
  Churn churn;
  ASSERT_TRUE(churn.ok());
  std::this_thread::sleep_for(3s);
  auto r = run_tool(fmt::format("watch --netns {} --interval 0.5 --count 3 --top 3", churn.name()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = lines_of(r.out);
  int blocks = 0;
  static const std::regex kStamp(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ twlab-\S+ #\d+  .*TIME-WAIT [0-9,]+ .*TW/s ~)");
  for (const auto& l : lines)
    if (std::regex_search(l, kStamp)) ++blocks;
  EXPECT_EQ(blocks, 3) << r.out;
  EXPECT_NE(r.out.find(fmt::format("  {}  in-use ", kTuple)), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\x1b"), std::string::npos) << "no terminal codes in a log";
}

TEST(WatchCli, JsonLinesCarryTheChurnsDestination) {
  Churn churn;
  ASSERT_TRUE(churn.ok());
  std::this_thread::sleep_for(3s);
  const int64_t before = churn.accepted();
  auto r = run_tool(fmt::format("watch --netns {} --interval 0.5 --count 3 --json", churn.name()));
  const int64_t after = churn.accepted();
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i]);
    EXPECT_EQ(j["schema"], "timewait-watch/1");
    EXPECT_EQ(j["sequence"], i + 1);
    EXPECT_EQ(j["netns"], churn.name());
    ASSERT_FALSE(j["tuples"].empty()) << lines[i];
    EXPECT_EQ(j["tuples"][0]["tuple"], kTuple);
    // Every connection of the churn (under 60 s old) still holds its port: established or
    // TIME_WAIT.
    const int64_t in_use = j["tuples"][0]["in_use"];
    EXPECT_GE(in_use, before * 8 / 10) << lines[i];
    EXPECT_LE(in_use, after + 10) << lines[i];
    EXPECT_GT(j["states"]["TIME-WAIT"]["count"].get<int64_t>(), 0);
    if (i) {
      EXPECT_GE(j["states"]["TIME-WAIT"]["since_start"].get<int64_t>(), 0);
    }
  }
}

int64_t rss_kb(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string l; std::getline(in, l);)
    if (l.starts_with("VmRSS:")) return std::stoll(l.substr(6));
  return -1;
}

TEST(WatchCli, MemoryStaysFlatOverManyRefreshes) {
  Churn churn;
  ASSERT_TRUE(churn.ok());
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const std::string ns = churn.name();
  std::vector<std::string> args = {TIMEWAIT_BIN, "watch",   "--netns", ns,      "--interval",
                                   "0.05",       "--count", "90",      "--json"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, TIMEWAIT_BIN, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  int64_t at10 = -1, at80 = -1;
  int n = 0;
  char* line = nullptr;
  size_t cap = 0;
  const auto t0 = Clock::now();
  while (since(t0) < 120 && getline(&line, &cap, f) > 0) {
    ++n;
    if (n == 10) at10 = rss_kb(pid);
    if (n == 80) at80 = rss_kb(pid);
  }
  free(line);
  fclose(f);
  kill(pid, SIGKILL);  // a no-op once it has ended by itself
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(n, 90);
  ASSERT_GT(at10, 0);
  ASSERT_GT(at80, 0);
  // 70 more summaries in the bounded history are ~100 kB; a census, a frame or the full counter
  // set kept per refresh would be megabytes.
  EXPECT_LT(at80 - at10, 512) << "RSS " << at10 << " kB after 10 refreshes, " << at80
                              << " kB after 80";
}

TEST(WatchCli, BadInputIsRefused) {
  testing::expect_usage_errors({
      {"watch --interval 0", "--interval"},
      {"watch --interval nan", "--interval"},
      {"watch --count -1", "--count"},
      {"watch --netns no-such-ns-here", "no-such-ns-here"},
      {"watch --netns a --pid 1", "either --netns or --pid"},
      {"watch --state bogus", "bogus"},
      {"watch --by nothing", "nothing"},
      {"watch --sort ports", "unknown sort key 'ports'"},
  });
}

}  // namespace
}  // namespace tw
