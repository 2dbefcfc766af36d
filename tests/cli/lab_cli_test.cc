// `timewait lab` as a user runs it: the list, a short scenario end to end, and its errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  json j = json::parse(r.out);
  ASSERT_EQ(j["scenarios"].size(), 1u);
  const json& s = j["scenarios"][0];
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
