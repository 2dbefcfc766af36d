// SPDX-License-Identifier: Apache-2.0
// What the `timewait` command line accepts, as plain data: commands, their options and
// positionals, and what each value may be. The CLI front end builds it from its CLI11 app (the
// definition `--help` prints), and the man pages and shell completions are rendered from it, so
// none of them can drift from `--help`.
#pragma once

#include <string>
#include <vector>

namespace tw::usage {

// What a shell may offer for a value.
enum class Values {
  kNone,   // a flag: takes no value
  kFile,   // a path (the default for a value nothing more is known about)
  kNetns,  // a network namespace name, as `ip netns list` prints them when completing
  kWords,  // one of `words` (comma-separated lists too, for --state)
  kAny,    // free text or a number: nothing to offer
};

struct Argument {
  std::vector<std::string> names;  // "-s", "--state"; a positional: its name ("SCENARIO")
  std::string value_name;          // "TEXT", "INT", ...: empty for a flag
  std::string default_value;       // as --help shows it, or empty
  std::string description;
  bool positional = false;
  bool required = false;
  bool repeats = false;     // takes several values
  bool comma_list = false;  // several in one word, comma-separated (--state a,b)
  Values values = Values::kNone;
  std::vector<std::string> words;  // for Values::kWords
};

// A command line worth copying, and what it shows.
struct Example {
  std::string command;  // "timewait census --by dst"
  std::string text;     // "Which destination runs out of source ports, and when."
};

// An exit status and when it is returned.
struct ExitStatus {
  std::string code;  // "0", "3, 4"
  std::string text;
};

struct Command {
  std::string name;  // "census"; the program's own name for the root
  std::string description;
  std::vector<Argument> options;  // "-h,--help" included: it is accepted everywhere
  std::vector<Argument> positionals;
  std::vector<Command> subcommands;
  bool subcommand_required = false;
  // Shown by --help (after the options) and as the man page's EXAMPLES and EXIT STATUS; a
  // nested command's examples are in its top command's page.
  std::vector<Example> examples;
  std::vector<ExitStatus> exit_status;
};

// The words a shell sees before the command's options: "timewait lab run".
std::string command_path(const std::vector<const Command*>& chain);

// Calls `f(chain)` for the root and every command below it, parents first; chain.back() is the
// command, chain.front() the root.
template <class F>
void for_each_command(const Command& root, F&& f, std::vector<const Command*> chain = {}) {
  chain.push_back(&root);
  f(chain);
  for (const Command& sub : root.subcommands) for_each_command(sub, f, chain);
}

}  // namespace tw::usage
