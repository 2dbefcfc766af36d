// SPDX-License-Identifier: Apache-2.0
// The man pages, completions and --version of the real binary, checked against its own --help:
// every command --help lists (also ones added later: exporter, watch, plan) and every option of
// each must be in each completion script and in the command's man page.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "run_tool.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using testing::run_tool;

// The lines of a --help section ("Subcommands:", "Options:", "Positionals:"), first words only.
std::vector<std::string> section(const std::string& help, const std::string& title) {
  std::vector<std::string> out;
  std::istringstream in(help);
  bool on = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != ' ') {
      on = line == title;
      continue;
    }
    if (on && line.size() > 2 && line[2] != ' ')
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return out;
}

// Each option's names: "-s,--state" -> {"-s", "--state"}.
std::vector<std::string> option_names(const std::string& help) {
  std::vector<std::string> out;
  for (const std::string& o : section(help, "Options:")) {
    std::stringstream ss(o);
    for (std::string n; std::getline(ss, n, ',');) out.push_back(n);
  }
  return out;
}

struct Path {
  std::string words;  // "lab run"
  std::string help;
};

// Every command path --help leads to, from the root.
std::vector<Path> all_paths() {
  std::vector<Path> out, todo{{"", run_tool("--help").out}};
  while (!todo.empty()) {
    Path p = todo.back();
    todo.pop_back();
    out.push_back(p);
    for (const std::string& sub : section(p.help, "Subcommands:")) {
      std::string w = p.words.empty() ? sub : p.words + " " + sub;
      todo.push_back({w, run_tool(w + " --help").out});
    }
  }
  return out;
}

TEST(UsageCli, CompletionsNameEveryCommandAndOption) {
  auto paths = all_paths();
  ASSERT_GE(paths.size(), 7u);  // census, doctor, trace, explain, lab (list, run), completion
  for (std::string shell : {"bash", "zsh", "fish"}) {
    auto r = run_tool("completion " + shell);
    ASSERT_EQ(r.code, 0) << shell << r.err;
    for (const Path& p : paths) {
      if (!p.words.empty()) {
        std::string last = p.words.substr(p.words.rfind(' ') + 1);
        EXPECT_NE(r.out.find(last), std::string::npos) << shell << ": " << p.words;
      }
      auto names = option_names(p.help);
      EXPECT_FALSE(names.empty()) << p.words;
      for (const std::string& n : names) {
        // fish writes --state as `-l state`, -s as `-s s`.
        std::string want = shell != "fish"       ? n
                           : n.starts_with("--") ? "-l " + n.substr(2)
                                                 : "-s " + n.substr(1);
        EXPECT_NE(r.out.find(want), std::string::npos) << shell << ": " << p.words << " " << n;
      }
    }
  }
  EXPECT_EQ(run_tool("completion tcsh").code, 2);
}

TEST(UsageCli, ManPagesDocumentEveryCommandAndOption) {
  testing::TempDir dir;
  auto r = run_tool("help-man --dir " + dir.path);
  ASSERT_EQ(r.code, 0) << r.err;
  auto paths = all_paths();
  for (const Path& p : paths) {
    // Nested commands (lab run) are sections of their top command's page.
    std::string top = p.words.substr(0, p.words.find(' '));
    std::string file = top.empty() ? "timewait.8" : "timewait-" + top + ".8";
    std::string page = testing::read_text(dir / file);
    ASSERT_FALSE(page.empty()) << file;
    for (const std::string& n : option_names(p.help)) {
      std::string roff;
      for (char c : n) roff += c == '-' ? std::string("\\-") : std::string(1, c);
      EXPECT_NE(page.find("\\fB" + roff + "\\fR"), std::string::npos) << file << " " << n;
    }
  }
  // Hidden: help-man is for the build, not in --help, the pages or the list of commands.
  EXPECT_EQ(run_tool("--help").out.find("help-man"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "timewait-help-man.8"));
  EXPECT_EQ(run_tool("nosuch").err.find("help-man"), std::string::npos);
}

// Each page of the real binary has EXIT STATUS and EXAMPLES sections (from the definition that
// --help shows too), every option an example uses is one its page documents, and no CLI11 type
// tag (INT:1-2147483647, FLOAT:SECONDS 0-600) is left in the text.
TEST(UsageCli, ManPagesHaveExamplesAndExitStatusAndNoTypeTags) {
  testing::TempDir dir;
  auto r = run_tool("help-man --dir " + dir.path);
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::string> pages;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path))
    pages[entry.path().filename()] = testing::read_text(entry.path());
  for (const auto& [file, page] : pages) {
    SCOPED_TRACE(file);
    auto status = page.find(".SH EXIT STATUS\n.TP\n\\fB0\\fR\n");
    auto examples = page.find(".SH EXAMPLES\n");
    ASSERT_NE(status, std::string::npos);
    ASSERT_NE(examples, std::string::npos);
    EXPECT_LT(status, examples);
    EXPECT_LT(examples, page.find(".SH SEE ALSO"));
    for (const char* tag : {"INT:", "FLOAT:", "TEXT:", "UINT:", "SECONDS 0", "NONNEGATIVE"})
      EXPECT_EQ(page.find(tag), std::string::npos) << tag;
    // The options of each example (the words after "timewait COMMAND" starting with \-) are
    // documented in that command's page.
    std::istringstream in(page.substr(examples));
    for (std::string line; std::getline(in, line);) {
      if (line != ".EX") continue;
      std::getline(in, line);
      std::istringstream words(line.substr(line.find("timewait ") + 9));
      std::string command;
      words >> command;
      ASSERT_TRUE(pages.contains("timewait-" + command + ".8")) << line;
      const std::string& its = pages["timewait-" + command + ".8"];
      for (std::string w; words >> w;) {
        if (!w.starts_with("\\-")) continue;
        EXPECT_NE(its.find("\\fB" + w + "\\fR"), std::string::npos) << line << ": " << w;
      }
    }
  }
  EXPECT_GE(pages.size(), 10u);
  // --help shows the same examples: census's first.
  auto help = run_tool("census --help");
  EXPECT_NE(help.out.find("Examples:\n  # "), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("\n  timewait census --by tuple --top 5\n"), std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("Exit status: 0 success; 1 "), std::string::npos) << help.out;
}

TEST(UsageCli, VersionNamesReleaseCommitAndFeatures) {
  auto r = run_tool("--version");
  ASSERT_EQ(r.code, 0);
  std::istringstream in(r.out);
  std::string version, commit, platform, bpf;
  std::getline(in, version);
  std::getline(in, commit);
  std::getline(in, platform);
  std::getline(in, bpf);
  // "timewait 0.1.0+42.g1a2b3c4d5e6f" (a Debian version: digits first, no '-' or '_').
  EXPECT_TRUE(version.starts_with("timewait ")) << version;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(version[9]))) << version;
  EXPECT_EQ(version.find_first_of("-_ ", 9), std::string::npos) << version;
  EXPECT_TRUE(commit.starts_with("commit: ")) << commit;
  EXPECT_EQ(platform, "platform: linux");
  EXPECT_EQ(bpf.starts_with("bpf: on"), TIMEWAIT_BPF_BUILT != 0) << bpf;
}

}  // namespace
}  // namespace tw
