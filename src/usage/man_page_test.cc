#include "usage/man_page.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"
#include "usage/test_definition.h"

namespace tw::usage {
namespace {

const ManPage& page(const std::vector<ManPage>& pages, const std::string& file) {
  for (const ManPage& p : pages)
    if (p.file == file) return p;
  throw std::runtime_error("no page " + file);
}

std::vector<ManPage> pages() {
  ManInfo info{"1.2.3", "2026-12-01", {{"Exit status", "0\tsuccess.\n2\tbad input."}}, {"ss(8)"}};
  return man_pages(testing::definition(), info);
}

TEST(ManPage, OnePageForTheProgramAndEachCommand) {
  auto p = pages();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].file, "timewait.8");
  EXPECT_EQ(p[1].file, "timewait-census.8");
  EXPECT_EQ(p[2].file, "timewait-lab.8");
}

TEST(ManPage, RootPageNamesCommandsSectionsAndPages) {
  const std::string t = page(pages(), "timewait.8").text;
  EXPECT_NE(t.find(".TH TIMEWAIT 8 \"2026-12-01\" \"timewait 1.2.3\""), std::string::npos) << t;
  // whatis(1) reads "name \- summary" from NAME; the "timewait: " prefix of --help is dropped.
  EXPECT_NE(t.find(".SH NAME\ntimewait \\- census and lab for TIME_WAIT\n"), std::string::npos);
  EXPECT_NE(t.find("\\fBtimewait census\\fR\nCount TCP sockets"), std::string::npos);
  EXPECT_NE(t.find("See \\fBtimewait\\-lab\\fR(8)."), std::string::npos);
  EXPECT_NE(t.find(".SH EXIT STATUS\n.TP\n\\fB0\\fR\nsuccess.\n.TP\n\\fB2\\fR\nbad input."),
            std::string::npos);
  EXPECT_NE(t.find(".BR timewait\\-census (8),"), std::string::npos);
  EXPECT_NE(t.find(".BR ss (8)\n"), std::string::npos);
  EXPECT_NE(t.find("Start with \\fBtimewait census\\fR."), std::string::npos);
}

TEST(ManPage, CommandPageListsEveryOptionWithValueAndDefault) {
  const std::string t = page(pages(), "timewait-census.8").text;
  EXPECT_NE(t.find(".SH NAME\ntimewait\\-census \\- count TCP sockets by state\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(".B timewait census\n[\\fIOPTIONS\\fR]\n"), std::string::npos);
  EXPECT_NE(t.find("\\fB\\-s\\fR, \\fB\\-\\-state\\fR \\fITEXT\\fR ..."), std::string::npos);
  EXPECT_NE(t.find("\\fB\\-\\-top\\fR \\fIINT\\fR\nTakes a value (default: 20)"),
            std::string::npos);
  EXPECT_NE(t.find("schema \\fBtimewait\\-census/1\\fR"), std::string::npos);
}

TEST(ManPage, NestedCommandsAreSectionsOfTheirParent) {
  const std::string t = page(pages(), "timewait-lab.8").text;
  EXPECT_NE(t.find(".B timewait lab\n\\fICOMMAND\\fR\n"), std::string::npos) << t;
  EXPECT_NE(t.find(".SS \"timewait lab run\"\n.B timewait lab run\n[\\fIOPTIONS\\fR] "
                   "\\fISCENARIO\\fR...\n"),
            std::string::npos);
}

TEST(ManPage, EscapesWhatRoffWouldEat) {
  EXPECT_EQ(roff_escape("a-b c\\d `x`"), "a\\-b c\\ed \\fBx\\fR");
  EXPECT_EQ(roff_escape("`open"), "\\fBopen\\fR");
}

// man(1) itself formats every page without a warning (what lintian's groff-message check runs).
TEST(ManPage, ManFormatsEveryPageWithoutWarnings) {
  tw::testing::TempDir dir;
  for (const ManPage& p : pages()) {
    std::ofstream(dir / p.file) << p.text;
    std::string out =
        tw::testing::run_output("LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " +
                                (dir / p.file) + " 2>&1 >/dev/null");
    EXPECT_EQ(out, "") << p.file;
    std::string text =
        tw::testing::run_output("LC_ALL=C.UTF-8 MANWIDTH=80 man -l " + (dir / p.file) + " | cat");
    EXPECT_NE(text.find("NAME"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace tw::usage
