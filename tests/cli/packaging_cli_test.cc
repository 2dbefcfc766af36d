// SPDX-License-Identifier: Apache-2.0
// What the build and the package are made from: cmake/version.cmake (the version from git in a
// checkout, from VERSION in a tarball) and scripts/debian-changelog.sh (CHANGELOG.md as the
// changelog dpkg reads). Both run as the build runs them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "run_tool.h"
#include "testing/scoped_netns.h"  // run_command

namespace tw {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kSource = TIMEWAIT_SOURCE_DIR;
const std::string kMaint = "timewait maintainers <m@example.org>";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One field of a changelog (`dpkg-parsechangelog -S FIELD`).
std::string field(const std::string& changelog, const std::string& name) {
  auto r = run_command(fmt::format("dpkg-parsechangelog -l '{}' -S {}", changelog, name));
  EXPECT_EQ(r.code, 0) << r.out;
  return trimmed(r.out);
}

// Every entry's version, newest first, each followed by a space.
std::string versions(const std::string& changelog) {
  auto r =
      run_command(fmt::format("dpkg-parsechangelog -l '{}' --all --format rfc822 | "
                              "awk '/^Version:/ {{printf \"%s \", $2}}'",
                              changelog));
  EXPECT_EQ(r.code, 0) << r.out;
  return r.out;
}

// Runs the generator; its exit status and what it printed (stdout then stderr) to `out`.
testing::CommandResult changelog(const std::string& args, const std::string& out) {
  return run_command(
      fmt::format("sh '{}/scripts/debian-changelog.sh' {} >'{}'", kSource, args, out));
}

// The project's own CHANGELOG.md, for a build between releases: one changelog dpkg reads, newest
// entry first with the version built, every release after it, lines within 80 columns.
TEST(DebianChangelog, TheProjectsChangelogBetweenReleases) {
  TempDir d("twdch");
  const std::string out = d / "changelog";
  auto r = changelog(
      fmt::format("'{}/CHANGELOG.md' 0.1.0+12.gabc 2026-12-07 '{}'", kSource, kMaint), out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(field(out, "Version"), "0.1.0+12.gabc");
  EXPECT_EQ(field(out, "Date"), "Mon, 07 Dec 2026 12:00:00 +0000");
  EXPECT_EQ(versions(out), "0.1.0+12.gabc 0.1.0 ");
  EXPECT_NE(field(out, "Changes").find("[Upgrade notes] `lab run --json`"), std::string::npos)
      << "the upgrade notes are not in the entry";
  std::istringstream in(testing::read_text(out));
  for (std::string line; std::getline(in, line);)
    if (!line.starts_with(" -- ")) EXPECT_LE(line.size(), 80u) << line;
}

// A release: its own section first, the unreleased notes left out; a continuation line joins its
// item. Bad input: one line and exit 2.
TEST(DebianChangelog, AReleaseAndBadInput) {
  TempDir d("twdch");
  const std::string md = d.write("CHANGELOG.md", R"(# Changelog

## Unreleased

- Not yet.

## 0.2.0 (2026-12-24)

### Upgrade notes

- `timewait_x` is now
  `timewait_y`.

## 0.1.0 (2026-12-01)

- First.
)");
  const std::string out = d / "release";
  auto r = changelog(fmt::format("'{}' 0.2.0 2026-12-24 '{}'", md, kMaint), out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(versions(out), "0.2.0 0.1.0 ");
  const std::string text = testing::read_text(out);
  EXPECT_EQ(text.find("Not yet"), std::string::npos) << "a release holds the unreleased notes";
  EXPECT_NE(text.find("  * [Upgrade notes] `timewait_x` is now `timewait_y`.\n"), std::string::npos)
      << text;
  EXPECT_EQ(field(out, "Date"), "Thu, 24 Dec 2026 12:00:00 +0000");

  auto bad = run_command(fmt::format("sh '{}/scripts/debian-changelog.sh' '{}'", kSource, md));
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_EQ(std::count(bad.out.begin(), bad.out.end(), '\n'), 1) << bad.out;
}

// Runs cmake/version.cmake as the build does: SOURCE_DIR's version into OUT/version_info.cc and
// OUT/version.txt.
void generate_version(const std::string& source_dir, const std::string& out) {
  auto r = run_command(fmt::format(
      "cmake -DSOURCE_DIR='{0}' -DOUT_CC='{1}/version_info.cc' -DOUT_TXT='{1}/version.txt' "
      "-DBPF=OFF -DPLATFORM=linux -P '{2}/cmake/version.cmake'",
      source_dir, out, kSource));
  ASSERT_EQ(r.code, 0) << r.out;
}

// A tarball: no .git, so VERSION and an "unknown" commit.
TEST(VersionInfo, FromVersionFileInATarball) {
  TempDir d("twver");
  const std::string vf = testing::read_text(kSource + "/VERSION");
  const std::string base = vf.substr(0, vf.find('\n'));
  ASSERT_FALSE(base.empty());
  std::filesystem::create_directories(d / "tarball");
  std::filesystem::create_directories(d / "out");
  std::filesystem::copy_file(kSource + "/VERSION", d / "tarball/VERSION");
  generate_version(d / "tarball", d / "out");
  EXPECT_EQ(trimmed(testing::read_text(d / "out/version.txt")), base);
  EXPECT_NE(testing::read_text(d / "out/version_info.cc").find("\"unknown\""), std::string::npos);
}

// The checkout: a tag's describe, or VERSION + count + hash; the full commit hash. Nothing
// changed: the file keeps its time stamp, so the build after it recompiles nothing.
TEST(VersionInfo, FromGitInACheckoutAndRewrittenOnlyWhenChanged) {
  TempDir d("twver");
  generate_version(kSource, d.path);
  const std::string v = trimmed(testing::read_text(d / "version.txt"));
  const std::string cc = d / "version_info.cc";
  auto head = run_command(fmt::format("git -C '{}' rev-parse HEAD", kSource));
  ASSERT_EQ(head.code, 0) << head.out;
  const std::string commit = trimmed(head.out);
  EXPECT_NE(testing::read_text(cc).find("\"" + commit + "\""), std::string::npos) << commit;
  if (run_command(fmt::format("git -C '{}' describe --tags --match 'v[0-9]*'", kSource)).code !=
      0) {
    const std::string vf = testing::read_text(kSource + "/VERSION");
    const std::string base = vf.substr(0, vf.find('\n'));
    auto count = run_command(fmt::format("git -C '{}' rev-list --count HEAD", kSource));
    ASSERT_EQ(count.code, 0) << count.out;
    std::string escaped = std::regex_replace(base, std::regex("\\."), "\\.");
    EXPECT_TRUE(std::regex_match(v, std::regex(escaped + "\\+" + trimmed(count.out) + "\\.g" +
                                               commit.substr(0, 12) + "(\\.dirty)?")))
        << v;
  }
  EXPECT_TRUE(std::regex_match(v, std::regex("[0-9][A-Za-z0-9.+~]*")))
      << "not a Debian version: " << v;

  const auto before = std::filesystem::last_write_time(cc);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  generate_version(kSource, d.path);
  EXPECT_EQ(std::filesystem::last_write_time(cc), before) << "rewritten";
}

}  // namespace
}  // namespace tw
