// SPDX-License-Identifier: Apache-2.0
// A small command line for the usage tests, shaped like timewait's: options of every value kind, a
// nested command with a positional.
#pragma once

#include "usage/command_line.h"

namespace tw::usage::testing {

inline Argument flag(std::vector<std::string> names, std::string description) {
  Argument a;
  a.names = std::move(names);
  a.description = std::move(description);
  return a;
}

inline Argument valued(std::vector<std::string> names, Values v,
                       std::vector<std::string> words = {}, bool repeats = false,
                       bool comma_list = false) {
  Argument a = flag(std::move(names), "Takes a value");
  a.value_name = v == Values::kAny ? "INT" : "TEXT";
  a.values = v;
  a.words = std::move(words);
  a.repeats = repeats;
  a.comma_list = comma_list;
  return a;
}

inline Command definition() {
  Command census{"census", "Count TCP sockets by state. More text follows here.", {}, {}, {}};
  census.options = {
      flag({"-h", "--help"}, "Print this help message and exit"),
      valued({"--netns"}, Values::kNetns),
      valued({"-s", "--state"}, Values::kWords, {"established", "time-wait"}, true, true),
      valued({"--by"}, Values::kWords, {"state", "tuple"}),
      valued({"--top"}, Values::kAny),
      valued({"--from"}, Values::kFile),
      flag({"--json"}, "JSON output, schema `timewait-census/1`")};
  census.options[4].default_value = "20";
  census.examples = {{"timewait census --by tuple --top 5",
                      "The five destinations nearest to "
                      "running out of ports."}};
  census.exit_status = {{"0", "success."}, {"3", "a warning."}};
  Command run{"run", "Run scenarios: NAME... or all", {}, {}, {}};
  Argument scenario = valued({"SCENARIO"}, Values::kWords, {"all", "churn", "linger0"}, true);
  scenario.positional = true;
  scenario.required = true;
  run.positionals = {scenario};
  run.options = {flag({"-h", "--help"}, "Print this help message and exit")};
  run.examples = {{"timewait lab run churn", "Exhaust a small port range."}};
  Command lab{"lab", "Reproduce scenarios (needs root).", {}, {}, {run}};
  lab.subcommand_required = true;
  Command root{"timewait",
               "timewait: census and lab for TIME_WAIT.\nStart with `timewait census`.",
               {flag({"-h", "--help"}, "Print this help message and exit"),
                flag({"--version"}, "Display program version information and exit")},
               {},
               {census, lab}};
  root.subcommand_required = true;
  root.exit_status = {{"0", "success."}, {"2", "bad input."}};
  root.examples = {{"timewait census", "Count what is there."}};
  return root;
}

}  // namespace tw::usage::testing
