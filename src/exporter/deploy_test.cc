// SPDX-License-Identifier: Apache-2.0
// What ships in deploy/ agrees with what the exporter serves: the Grafana dashboard parses and
// each panel queries exported metrics; the alert rules name only exported metrics and pass
// `promtool check rules` and their own `promtool test rules` unit tests.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "exporter/metrics.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

const std::string kDeploy = std::string(TIMEWAIT_SOURCE_DIR) + "/deploy";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The timewait_* metric names an expression reads.
std::set<std::string> metrics_in(const std::string& expr) {
  static const std::regex name(R"(\btimewait_[a-z0-9_]+)");
  std::set<std::string> out;
  for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it)
    out.insert(it->str());
  return out;
}

bool exported(const std::string& name) {
  static const auto names = metric_family_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::pair<int, std::string> run(const std::string& cmd) {
  auto r = testing::run_command(cmd);
  return {r.code, r.out};
}

TEST(Deploy, GrafanaPanelsQueryExportedMetrics) {
  auto text = slurp(kDeploy + "/grafana/timewait.json");
  ASSERT_FALSE(text.empty());
  auto dash = nlohmann::json::parse(text);  // throws (fails) on bad JSON
  ASSERT_TRUE(dash["panels"].is_array());
  ASSERT_GE(dash["panels"].size(), 4u);
  std::set<std::string> used;
  for (const auto& p : dash["panels"]) {
    std::string title = p.value("title", "");
    ASSERT_TRUE(p["targets"].is_array() && !p["targets"].empty()) << title;
    for (const auto& t : p["targets"]) {
      std::string expr = t.value("expr", "");
      auto names = metrics_in(expr);
      EXPECT_FALSE(names.empty()) << title << ": " << expr;
      for (const auto& n : names) {
        EXPECT_TRUE(exported(n)) << title << " queries " << n << ", which is not exported";
        used.insert(n);
      }
    }
  }
  // What the issue asks the dashboard to show.
  for (const char* n : {"timewait_sockets", "timewait_time_wait_created_per_second",
                        "timewait_tuple_ports_in_use", "timewait_tuple_exhaustion_eta_seconds"})
    EXPECT_TRUE(used.count(n)) << n;
}

TEST(Deploy, RulesNameExportedMetricsAndPassTheirPromtoolTests) {
  const std::string rules = kDeploy + "/prometheus/timewait.rules.yml";
  auto text = slurp(rules);
  ASSERT_FALSE(text.empty());
  std::set<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("expr:") == std::string::npos && line.find("  timewait_") == std::string::npos)
      continue;
    for (const auto& n : metrics_in(line)) names.insert(n);
  }
  EXPECT_GE(names.size(), 5u);
  for (const auto& n : names) EXPECT_TRUE(exported(n)) << n;
  auto [rc, out] = run(fmt::format("promtool check rules {}", rules));
  EXPECT_EQ(rc, 0) << out;
  auto [trc, tout] =
      run(fmt::format("cd {}/prometheus && promtool test rules "
                      "timewait.rules.test.yml",
                      kDeploy));
  EXPECT_EQ(trc, 0) << tout;
  EXPECT_NE(tout.find("SUCCESS"), std::string::npos) << tout;
}

}  // namespace
}  // namespace tw
