// SPDX-License-Identifier: Apache-2.0
// Shell completion scripts from the command line's definition: commands, options, and for each
// value what to offer (state and grouping names, scenarios, topics, `ip netns list`, files).
// Each script walks the words typed so far through the same tree, so nested commands (lab run)
// and options taking values are followed the same way in every shell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "usage/command_line.h"

namespace tw::usage {

std::string bash_completion(const Command& root);  // for `complete -F`, bash 4.2+
std::string zsh_completion(const Command& root);   // a `#compdef` function, also sourceable
std::string fish_completion(const Command& root);  // `complete -c` lines

// The shells above by name, for `timewait completion SHELL`.
const std::vector<std::string_view>& completion_shells();
// The script for `shell`, or "" when it is not one of completion_shells().
std::string completion_script(std::string_view shell, const Command& root);

// Shared by the three scripts.
namespace script {
// One line of a description: its first sentence, at most ~70 characters.
std::string brief(const std::string& description);
// `text` in single quotes for sh-like shells (bash, zsh).
std::string sh_quote(const std::string& text);
// An argument's words, space-separated.
std::string words(const Argument& a);
// What the scripts look up for an argument's value: "@file", "@netns", "@any", "@csv WORD...",
// "@words WORD...", or "" for a flag.
std::string value_spec(const Argument& a);
}  // namespace script

}  // namespace tw::usage
