// SPDX-License-Identifier: Apache-2.0
// `timewait lab` as a user runs it: the list, a short scenario end to end, and its errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;

TEST(LabCli, ListNamesEveryScenario) {
  auto r = run_tool("lab list");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* name :
       {"churn", "who-closes", "linger0", "reuseaddr", "syn-into-timewait", "keepalive", "nat-lb",
        "nginx-proxy", "lost-last-ack", "bind-before-connect", "source-addresses", "fin-timeout",
        "port-range-per-socket"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}

TEST(LabCli, WhoClosesRunsAndConfirmsTheTheory) {
  auto r = run_tool("lab run who-closes --count 50 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  // JSON Lines: one object, on one line.
  ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  json s = json::parse(r.out);
  EXPECT_EQ(s["scenario"], "who-closes");
  EXPECT_EQ(s["confirmed"], true);
  bool saw_client_tw = false;
  for (const json& row : s["rows"]) {
    EXPECT_NE(row["verdict"], "differs") << row.dump();
    if (row["what"] == "client closes first: client TIME_WAIT") {
      saw_client_tw = true;
      EXPECT_EQ(row["measured"], "50");
    }
  }
  EXPECT_TRUE(saw_client_tw);
  // The run removed what it built: no lab namespace of a process that is gone remains (lab
  // namespaces are named twlab-<pid>-...; another live lab run's are not this run's to judge).
  std::string left = testing::run_output(
      "for ns in $(ip netns list | awk '/^twlab-/ {print $1}'); do "
      "pid=${ns#twlab-}; pid=${pid%%-*}; [ -d /proc/$pid ] || echo $ns; done");
  EXPECT_EQ(left, "") << left;
}

// `lab run ... --json` prints each scenario's line as it finishes, not all at the end: the
// first scenario's line is there while the second (fin-timeout, which waits out a 3 s FIN_WAIT2
// timer) still runs. Standard error, a file here, gets no progress line.
TEST(LabCli, JsonLinesArriveAsEachScenarioFinishes) {
  using Clock = std::chrono::steady_clock;
  testing::BackgroundTool tool(
      {"lab", "run", "who-closes", "fin-timeout", "--count", "20", "--duration", "3", "--json"});
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  std::string out;
  while (Clock::now() < deadline && (out = tool.stdout_so_far()).find('\n') == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto first_line = Clock::now();
  ASSERT_NE(out.find('\n'), std::string::npos) << "no line within 120 s";
  EXPECT_EQ(json::parse(out.substr(0, out.find('\n')))["scenario"], "who-closes") << out;
  auto r = tool.finish(120);
  const double before_end = std::chrono::duration<double>(Clock::now() - first_line).count();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GE(before_end, 2.0) << "the first line came with the last: printed at the end";
  std::istringstream in(r.out);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) names.push_back(json::parse(line)["scenario"]);
  EXPECT_EQ(names, (std::vector<std::string>{"who-closes", "fin-timeout"})) << r.out;
  EXPECT_EQ(r.err, "");
}

// On a terminal (a pty from script(1)), a progress line names the scenario running, and is
// wiped before the result is printed.
TEST(LabCli, ProgressLineOnATerminal) {
  std::string out = testing::run_output(
      fmt::format("script -qec '{} lab run who-closes --count 20 --json' /dev/null", TIMEWAIT_BIN));
  auto at = out.find("lab: 1/1 who-closes (0 done, 0 differ, ");
  ASSERT_NE(at, std::string::npos) << out;
  auto end = out.find(" s)", at);
  ASSERT_NE(end, std::string::npos) << out;
  end += 3;
  const std::string wipe = "\r" + std::string(end - at, ' ') + "\r";
  ASSERT_EQ(out.compare(end, wipe.size(), wipe), 0) << out;
  auto wiped = end + wipe.size();
  auto object = out.find("{\"", wiped);
  ASSERT_NE(object, std::string::npos) << out;
  std::string line = out.substr(object, out.find('\n', object) - object);
  while (!line.empty() && line.back() == '\r') line.pop_back();  // the pty's CR LF
  EXPECT_EQ(json::parse(line)["scenario"], "who-closes") << out;
}

TEST(LabCli, ErrorsAreOneLineAndExit2) {
  testing::expect_usage_errors({
      {"lab run bogus", "unknown scenario 'bogus'"},
      {"lab run churn --port-range 10-5", "--port-range"},
      {"lab run churn --duration 90", "below 55 s"},
      {"lab run", "SCENARIO is required"},
  });
}

TEST(LabCli, WithoutRootSaysSoInOneLine) {
  std::string out = testing::run_output(fmt::format(
      "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} lab run who-closes "
      "2>&1; echo rc=$?",
      TIMEWAIT_BIN));
  EXPECT_NE(out.find("needs root"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
}

}  // namespace
}  // namespace tw
