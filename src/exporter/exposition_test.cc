// SPDX-License-Identifier: Apache-2.0
// The exposition text builder: escaping per the format, HELP/TYPE once per family with its
// series grouped under it, duplicates dropped, counters named _total, values formatted exactly.
#include "exporter/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace tw {
namespace {

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("a\\b\"c\nd"), R"(a\\b"c\nd)");
  Exposition e;
  e.family("x", MetricType::kGauge, "line one\nline \\two");
  e.add("x", {{"netns", "we\"ird\\ns\n"}}, 1);
  EXPECT_EQ(e.text(),
            "# HELP x line one\\nline \\\\two\n"
            "# TYPE x gauge\n"
            "x{netns=\"we\\\"ird\\\\ns\\n\"} 1\n");
}

TEST(Exposition, GroupsSeriesUnderTheirFamilyOnce) {
  Exposition e;
  e.family("a_total", MetricType::kCounter, "A.");
  e.family("b", MetricType::kGauge, "B.");
  e.family("empty", MetricType::kGauge, "never filled");
  e.add("a_total", {{"netns", "one"}}, 1);
  e.add("b", {{"netns", "one"}}, 2);
  e.add("a_total", {{"netns", "two"}}, 3);  // after b's: still under a_total
  e.family("a_total", MetricType::kCounter, "declared again");
  EXPECT_EQ(e.text(),
            "# HELP a_total A.\n# TYPE a_total counter\n"
            "a_total{netns=\"one\"} 1\na_total{netns=\"two\"} 3\n"
            "# HELP b B.\n# TYPE b gauge\nb{netns=\"one\"} 2\n");
  EXPECT_EQ(e.series(), 3u);
}

TEST(Exposition, DropsDuplicateSeries) {
  Exposition e;
  e.family("g", MetricType::kGauge, "G.");
  e.add("g", {{"a", "1"}, {"b", "2"}}, 1);
  e.add("g", {{"a", "1"}, {"b", "2"}}, 5);
  e.add("g", {}, 7);
  e.add("g", {}, 8);
  EXPECT_EQ(e.duplicates(), 2u);
  EXPECT_EQ(e.text(), "# HELP g G.\n# TYPE g gauge\ng{a=\"1\",b=\"2\"} 1\ng 7\n");
}

TEST(Exposition, RefusesBadNames) {
  Exposition e;
  EXPECT_THROW(e.family("requests", MetricType::kCounter, "no _total"), std::logic_error);
  EXPECT_THROW(e.family("9lives", MetricType::kGauge, "digit first"), std::logic_error);
  EXPECT_THROW(e.add("undeclared", {}, 1), std::logic_error);
  e.family("ok", MetricType::kGauge, "fine");
  EXPECT_THROW(e.add("ok", {{"bad-label", "x"}}, 1), std::logic_error);
  EXPECT_THROW(e.add("ok", {{"__reserved", "x"}}, 1), std::logic_error);
  EXPECT_TRUE(valid_metric_name("timewait:rule_total"));
  EXPECT_FALSE(valid_label_name("a:b"));
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(28232), "28232");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1e6), "1000000");
  EXPECT_EQ(format_value(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  // Round trip.
  EXPECT_EQ(std::stod(format_value(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(Exposition, EndsWithANewline) {
  Exposition e;
  EXPECT_EQ(e.text(), "");
  e.family("g", MetricType::kGauge, "G.");
  e.add("g", {}, 1);
  EXPECT_EQ(e.text().back(), '\n');
}

}  // namespace
}  // namespace tw
