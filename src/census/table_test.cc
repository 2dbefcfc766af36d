// SPDX-License-Identifier: Apache-2.0
#include "census/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace tw {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Table, ColumnsFollowTheLongestCellWithoutTrailingSpaces) {
  Table t({{"LOCAL -> REMOTE", false}, {"IN USE"}, {"LEVEL", false}});
  t.add({"2001:db8:ffff:ffff:ffff:ffff:ffff:1 -> [2001:db8:ffff:ffff:ffff:ffff:ffff:2]:8080", "12",
         ""});
  t.add({"10.0.0.5 -> 10.0.0.9:80", "28,232", "critical (>= 90%)"});
  auto l = lines(t.render(200));
  ASSERT_EQ(l.size(), 3u);
  // Every number column ends at the same position, whatever the label's length.
  EXPECT_EQ(l[1].find("12") + 2, l[2].find("28,232") + 6) << t.render(200);
  EXPECT_EQ(l[0].find("IN USE") + 6, l[2].find("28,232") + 6);
  for (auto& x : l) EXPECT_NE(x.back(), ' ') << "[" << x << "]";
}

TEST(Table, ARowWiderThanTheWidthPutsItsLabelOnALineOfItsOwn) {
  Table t({{"KEY", false}, {"A"}, {"B"}});
  std::string longkey(70, 'k');
  t.add({longkey, "1", "2"});
  t.add({"short", "3", "4"});
  std::string out = t.render(40);
  auto l = lines(out);
  ASSERT_EQ(l.size(), 4u) << out;
  EXPECT_EQ(l[1], longkey);  // nothing is cut off
  for (size_t i : {0u, 2u, 3u}) EXPECT_LE(l[i].size(), 40u) << l[i];
  EXPECT_EQ(l[2].find('1'), l[3].find('3'));  // still in its column
}

TEST(Table, DroppableColumnsGiveWayHighestFirstAndAreNamed) {
  Table t({{"KEY", false}, {"KEEP"}, {"LATER", true, 1}, {"FIRST", true, 2}});
  t.add({"a", "1", "2", "3"});
  // Wide enough for all: nothing dropped, nothing said.
  EXPECT_EQ(lines(t.render(80)).size(), 2u);
  EXPECT_NE(t.render(80).find("FIRST"), std::string::npos);
  // KEY KEEP LATER FIRST needs 3+2+4+2+5+2+5 = 23: at 20 only FIRST goes, at 12 LATER too.
  std::string narrow = t.render(20);
  EXPECT_EQ(lines(narrow)[0], "KEY  KEEP  LATER") << narrow;
  // The note wraps like any paragraph: read it as one line.
  auto flat = [](std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  };
  EXPECT_NE(flat(narrow).find("(FIRST left out to fit 20 columns"), std::string::npos) << narrow;
  std::string narrower = t.render(12);
  EXPECT_EQ(lines(narrower)[0], "KEY  KEEP") << narrower;
  EXPECT_EQ(lines(narrower)[1], "a       1") << narrower;
  EXPECT_NE(flat(narrower).find("(FIRST, LATER left out"), std::string::npos) << narrower;
  for (auto& l : lines(narrower)) EXPECT_LE(l.size(), 12u) << l;
}

TEST(Table, WrapText) {
  EXPECT_EQ(wrap_text("aa bb cc dd", 5, "", "  "), "aa bb\n  cc\n  dd\n");
  EXPECT_EQ(wrap_text("averyveryverylongword x", 5), "averyveryverylongword\nx\n");
  EXPECT_EQ(trim_right("a  "), "a");
}

}  // namespace
}  // namespace tw
