// SPDX-License-Identifier: Apache-2.0
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
  ManInfo info{"1.2.3", "2026-12-01", {{"Environment", "COLUMNS\tthe width."}}, {"ss(8)"}};
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

// EXIT STATUS and EXAMPLES come from the definition (what --help shows), in man-pages(7)'s
// order: after the options, EXAMPLES last before SEE ALSO.
TEST(ManPage, ExitStatusAndExamplesComeFromTheDefinition) {
  auto p = pages();
  const std::string census = page(p, "timewait-census.8").text;
  EXPECT_NE(census.find(".SH EXIT STATUS\n.TP\n\\fB0\\fR\nsuccess.\n.TP\n\\fB3\\fR\na warning.\n"),
            std::string::npos)
      << census;
  EXPECT_NE(census.find(".SH EXAMPLES\n.PP\nThe five destinations nearest to running out of "
                        "ports.\n.PP\n.RS 4\n.EX\ntimewait census \\-\\-by tuple \\-\\-top 5\n.EE\n"
                        ".RE\n.SH SEE ALSO\n"),
            std::string::npos)
      << census;
  EXPECT_LT(census.find(".SH OPTIONS"), census.find(".SH EXIT STATUS"));
  EXPECT_LT(census.find(".SH EXIT STATUS"), census.find(".SH EXAMPLES"));
  // lab has no list of its own: the program's codes; lab run's example is in lab's page.
  const std::string lab = page(p, "timewait-lab.8").text;
  EXPECT_NE(lab.find(".SH EXIT STATUS\n.TP\n\\fB0\\fR\nsuccess.\n.TP\n\\fB2\\fR\nbad input.\n"),
            std::string::npos)
      << lab;
  EXPECT_NE(lab.find(".SH EXAMPLES\n.PP\nExhaust a small port range.\n.PP\n.RS 4\n.EX\n"
                     "timewait lab run churn\n.EE\n"),
            std::string::npos)
      << lab;
  const std::string root = page(p, "timewait.8").text;
  EXPECT_LT(root.find(".SH EXIT STATUS"), root.find(".SH ENVIRONMENT"));
  EXPECT_LT(root.find(".SH ENVIRONMENT"), root.find(".SH EXAMPLES\n.PP\nCount what is there."));
  EXPECT_LT(root.find(".SH EXAMPLES"), root.find(".SH SEE ALSO"));
  // Formatted, the example is its own indented line, hyphens intact.
  tw::testing::TempDir dir;
  std::ofstream(dir / "timewait-census.8") << census;
  std::string text = tw::testing::run_output("LC_ALL=C.UTF-8 MANWIDTH=80 man -l " +
                                             (dir / "timewait-census.8") + " | cat");
  EXPECT_NE(text.find("EXIT STATUS\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n           timewait census --by tuple --top 5\n"), std::string::npos)
      << text;
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
