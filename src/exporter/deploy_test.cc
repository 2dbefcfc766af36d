// SPDX-License-Identifier: Apache-2.0
// What ships in deploy/ agrees with what the exporter serves: the Grafana dashboard parses and
// each panel queries exported metrics; the alert rules name only exported metrics and pass
// `promtool check rules` and their own `promtool test rules` unit tests.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

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
  for (const char* n : {"timewait_sockets", "timewait_time_wait_created_per_second_10s",
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

// GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as '-'.
std::string heading_anchor(const std::string& heading) {
  std::string out;
  for (unsigned char c : heading) {
    if (std::isalnum(c) || c == '-' || c == '_')
      out += static_cast<char>(std::tolower(c));
    else if (c == ' ')
      out += '-';
  }
  return out;
}

// Prometheus' alerting conventions: every alert has a runbook_url whose anchor is a heading of
// docs/runbook.md; values reach a summary or description through a humanizing function; the
// exporter's own absence alerts; no rule on a metric no kernel since 4.12 has.
TEST(Deploy, EveryAlertHasARunbookSectionAndHumanizedValues) {
  const std::string runbook_path = std::string(TIMEWAIT_SOURCE_DIR) + "/docs/runbook.md";
  std::set<std::string> anchors;
  std::istringstream runbook(slurp(runbook_path));
  for (std::string line; std::getline(runbook, line);)
    if (line.starts_with("## ") || line.starts_with("### "))
      anchors.insert(heading_anchor(line.substr(line.find(' ') + 1)));
  ASSERT_FALSE(anchors.empty()) << runbook_path;

  YAML::Node doc = YAML::LoadFile(kDeploy + "/prometheus/timewait.rules.yml");
  std::set<std::string> alerts, exprs;
  const std::regex raw_value(R"(\{\{\s*\$value\s*\}\})");
  for (const auto& group : doc["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (!rule["alert"]) continue;
      const std::string name = rule["alert"].as<std::string>();
      alerts.insert(name);
      exprs.insert(rule["expr"].as<std::string>());
      const auto ann = rule["annotations"];
      ASSERT_TRUE(ann && ann["runbook_url"]) << name << " has no runbook_url";
      const std::string url = ann["runbook_url"].as<std::string>();
      const std::string prefix = "https://github.com/timewait/timewait/blob/main/docs/runbook.md#";
      ASSERT_TRUE(url.starts_with(prefix)) << name << ": " << url;
      EXPECT_TRUE(anchors.count(url.substr(prefix.size())))
          << name << ": no heading of docs/runbook.md has the anchor of " << url;
      for (const char* field : {"summary", "description"}) {
        if (!ann[field]) continue;
        const std::string text = ann[field].as<std::string>();
        EXPECT_FALSE(std::regex_search(text, raw_value))
            << name << " " << field << " shows $value unhumanized: " << text;
      }
      EXPECT_EQ(rule["expr"].as<std::string>().find("timewait_tcp_tw_recycle"), std::string::npos)
          << name << ": tcp_tw_recycle exists on no kernel since 4.12";
    }
  }
  EXPECT_GE(alerts.size(), 10u);
  EXPECT_TRUE(exprs.count(R"(up{job="timewait"} == 0)")) << "no alert for a down exporter";
  EXPECT_TRUE(exprs.count(R"(absent(up{job="timewait"}))")) << "no alert for an absent exporter";
}

}  // namespace
}  // namespace tw
