// SPDX-License-Identifier: Apache-2.0
#include "cli/usage_definition.h"

#include <map>

#include "census/census.h"
#include "cli/usage_examples.h"
#include "doctor/topics.h"
#include "import/import.h"
#include "lab/scenario.h"
#include "model/state_mask.h"
#include "usage/completion.h"

namespace tw::cli {

namespace {

using usage::Argument;
using usage::Values;

template <class List>
std::vector<std::string> strings(const List& list) {
  return {list.begin(), list.end()};
}

// Option values known by the option's name, whichever command declares it: a command added later
// with --netns or --state completes like the others without an edit here.
void describe_value(const std::string& path, Argument* a) {
  const std::string& name = a->names.back();
  auto words = [&](std::vector<std::string> w) {
    a->values = Values::kWords;
    a->words = std::move(w);
  };
  if (a->positional) {
    if (path == "explain") {
      std::vector<std::string> w;
      for (const Topic& t : all_topics()) w.emplace_back(t.name);
      words(w);
    } else if (path == "lab run") {
      std::vector<std::string> w{"all"};
      for (const lab::Scenario& s : lab::scenarios()) w.push_back(s.name);
      words(w);
    } else if (path == "completion") {
      words(strings(usage::completion_shells()));
    }
    return;
  }
  if (name == "--netns") {
    a->values = Values::kNetns;
  } else if (name == "--pod") {
    a->values = Values::kAny;  // NAMESPACE/NAME: no file
  } else if (name == "--state") {
    words(strings(state_mask_names()));
  } else if (name == "--by") {
    words(strings(group_by_names()));
  } else if (name == "--format") {
    words(import_format_names());
  } else if (a->value_name == "TEXT") {
    a->values = Values::kFile;  // as a shell does for a word it knows nothing about
  } else {
    a->values = Values::kAny;  // numbers
  }
}

// CLI11 appends its checks' names to the type ("INT:1-2147483647", "FLOAT:SECONDS 0-600"): the
// man page names the kind of value (the description says its range), SECONDS where a check says
// so.
std::string value_name(const std::string& type) {
  size_t colon = type.find(':');
  if (colon == std::string::npos) return type;
  if (type.compare(colon + 1, 7, "SECONDS") == 0) return "SECONDS";
  return type.substr(0, colon);
}

Argument argument(const CLI::Option& o, const std::string& path) {
  Argument a;
  a.positional = o.get_positional() && !o.nonpositional();
  if (a.positional) {
    a.names = {o.get_name(true, false)};
  } else {
    for (const std::string& s : o.get_snames()) a.names.push_back("-" + s);
    for (const std::string& l : o.get_lnames()) a.names.push_back("--" + l);
  }
  a.description = o.get_description();
  a.required = o.get_required();
  // A flag is an option expected zero times with a value (CLI11 keeps its type size at 1).
  if (o.get_items_expected_max() != 0) {
    a.value_name = value_name(o.get_type_name());
    a.default_value = o.get_default_str();
    a.repeats = o.get_items_expected_max() >= CLI::detail::expected_max_vector_size;
    a.comma_list = a.repeats && o.get_delimiter() == ',';
    describe_value(path, &a);
  }
  return a;
}

usage::Command command(const CLI::App& app, const std::string& path) {
  usage::Command c;
  c.name = app.get_name();
  if (const CommandUsage* u = find_command_usage(path)) {
    c.examples = u->examples;
    c.exit_status = u->exit_status;
  }
  c.description = app.get_description();
  c.subcommand_required = app.get_require_subcommand_min() > 0;
  for (const CLI::Option* o : app.get_options()) {
    Argument a = argument(*o, path);
    (a.positional ? c.positionals : c.options).push_back(std::move(a));
  }
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
    c.subcommands.push_back(
        command(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name()));
  return c;
}

}  // namespace

usage::Command usage_definition(const CLI::App& app) { return command(app, ""); }

}  // namespace tw::cli
