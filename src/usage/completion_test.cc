// SPDX-License-Identifier: Apache-2.0
// The scripts are run by the shells themselves: bash and zsh call the completion function on
// given words, fish answers `complete -C`.
#include "usage/completion.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"
#include "usage/test_definition.h"

namespace tw::usage {
namespace {

using tw::testing::run_output;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

struct Script {
  explicit Script(std::string_view shell) : path(dir / "script") {
    std::ofstream(path) << completion_script(shell, testing::definition());
  }
  tw::testing::TempDir dir;
  std::string path;
};

// What bash offers for the words before the cursor and the word being typed.
std::vector<std::string> bash(const Script& s, const std::string& before, const std::string& cur) {
  std::string cmd = "source " + s.path + "; COMP_WORDS=(timewait " + before + " '" + cur +
                    "'); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _timewait; printf '%s\\n' "
                    "\"${COMPREPLY[@]}\"";
  std::ofstream(s.dir / "run.bash") << cmd;
  return lines(run_output("cd " + s.dir.path + " && bash run.bash"));
}

using V = std::vector<std::string>;

TEST(BashCompletion, CommandsOptionsAndValues) {
  Script s("bash");
  EXPECT_EQ(bash(s, "", ""), (V{"census", "lab"}));
  EXPECT_EQ(bash(s, "", "--"), (V{"--help", "--version"}));
  EXPECT_EQ(bash(s, "census", "--n"), (V{"--netns"}));
  EXPECT_EQ(bash(s, "census", "-"),
            (V{"-h", "--help", "--netns", "-s", "--state", "--by", "--top", "--from", "--json"}));
  EXPECT_EQ(bash(s, "census --by", ""), (V{"state", "tuple"}));
  EXPECT_EQ(bash(s, "census --state", "ti"), (V{"time-wait"}));
  EXPECT_EQ(bash(s, "census -s", "established,ti"), (V{"established,time-wait"}));
  EXPECT_EQ(bash(s, "census --state =", "ti"), (V{"time-wait"}));  // --state=ti
  // The value of --top is stepped over: the next word is an option again, not --top's value.
  EXPECT_EQ(bash(s, "census --top 5", "--j"), (V{"--json"}));
  EXPECT_EQ(bash(s, "census --top", ""), V{});
  EXPECT_EQ(bash(s, "lab", ""), (V{"run"}));
  EXPECT_EQ(bash(s, "lab run", "ch"), (V{"churn"}));
  EXPECT_EQ(bash(s, "lab run churn", ""), (V{"all", "churn", "linger0"}));
}

TEST(BashCompletion, FilesForPathValues) {
  Script s("bash");
  std::ofstream(s.dir / "snapshot.json") << "{}";
  EXPECT_EQ(bash(s, "census --from", "snap"), (V{"snapshot.json"}));
}

TEST(BashCompletion, NetnsNamesFromIpNetnsList) {
  tw::testing::ScopedNetns ns("twcomp");
  Script s("bash");
  auto got = bash(s, "census --netns", "twcomp");
  EXPECT_NE(std::find(got.begin(), got.end(), ns.name()), got.end()) << ns.name();
  for (const std::string& n : got) EXPECT_TRUE(n.starts_with("twcomp")) << n;
}

// zsh's completion builtins replaced by functions printing what they were given.
std::vector<std::string> zsh(const Script& s, const std::string& words) {
  std::string cmd =
      "compdef() { :; }; _describe() { print -l -- ${(P)${@[-1]}}; }; _files() { print FILES; }; "
      "compset() { :; }; compadd() { if [[ $1 == -a ]]; then print -l -- ${(P)2}; else shift; "
      "print -l -- \"$@\"; fi; }; source " +
      s.path + "; words=(timewait " + words + "); CURRENT=${#words}; _timewait";
  std::ofstream(s.dir / "run.zsh") << cmd;
  return lines(run_output("cd " + s.dir.path + " && zsh -f run.zsh"));
}

TEST(ZshCompletion, CommandsOptionsAndValues) {
  Script s("zsh");
  EXPECT_EQ(zsh(s, "''"),
            (V{"census:Count TCP sockets by state", "lab:Reproduce scenarios (needs root)"}));
  auto opts = zsh(s, "census --");
  EXPECT_NE(std::find(opts.begin(), opts.end(), "--json:JSON output, schema `timewait-census/1`"),
            opts.end());
  EXPECT_EQ(zsh(s, "census --by ''"), (V{"state", "tuple"}));
  EXPECT_EQ(zsh(s, "census --top 5 --from ''"), (V{"FILES"}));
  EXPECT_EQ(zsh(s, "lab run ''"), (V{"all", "churn", "linger0"}));
  tw::testing::ScopedNetns ns("twcomp");
  auto got = zsh(s, "census --netns ''");
  EXPECT_NE(std::find(got.begin(), got.end(), ns.name()), got.end());
}

// What fish offers for a command line, names only.
std::vector<std::string> fish(const Script& s, const std::string& line) {
  std::ofstream(s.dir / "run.fish") << "source " << s.path << "\ncomplete -C '" << line << "'\n";
  std::vector<std::string> out;
  for (std::string l : lines(run_output("cd " + s.dir.path + " && fish --no-config run.fish")))
    out.push_back(l.substr(0, l.find('\t')));
  return out;
}

TEST(FishCompletion, CommandsOptionsAndValues) {
  Script s("fish");
  EXPECT_EQ(fish(s, "timewait "), (V{"census", "lab"}));
  EXPECT_EQ(fish(s, "timewait census --ne"), (V{"--netns"}));
  EXPECT_EQ(fish(s, "timewait census --by "), (V{"state", "tuple"}));
  EXPECT_EQ(fish(s, "timewait census --state established,t"), (V{"established,time-wait"}));
  EXPECT_EQ(fish(s, "timewait census --top 5 --j"), (V{"--json"}));
  EXPECT_EQ(fish(s, "timewait lab run "), (V{"all", "churn", "linger0"}));
  tw::testing::ScopedNetns ns("twcomp");
  auto got = fish(s, "timewait census --netns ");
  EXPECT_NE(std::find(got.begin(), got.end(), ns.name()), got.end());
}

TEST(Completion, UnknownShellIsEmpty) {
  EXPECT_EQ(completion_script("tcsh", testing::definition()), "");
  EXPECT_EQ(script::brief("One. Two"), "One");
  EXPECT_EQ(script::sh_quote("it's"), "'it'\\''s'");
}

}  // namespace
}  // namespace tw::usage
