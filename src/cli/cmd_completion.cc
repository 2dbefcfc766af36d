// SPDX-License-Identifier: Apache-2.0
// `timewait completion SHELL`: the completion script for bash, zsh or fish, from the same
// definition `--help` prints (so commands added later complete without an edit).
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "cli/usage_definition.h"
#include "usage/completion.h"

namespace tw::cli {

namespace {

Register completion_command(80, [](CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "completion",
      "Print the shell completion script for bash, zsh or fish (the .deb installs them): "
      "`source <(timewait completion bash)`");
  sub->add_option("shell", *shell, "bash, zsh or fish")->required();
  const CLI::App* root = &app;
  return std::pair{
      sub, std::function<int()>([shell, root] {
        std::string text = usage::completion_script(*shell, usage_definition(*root));
        if (text.empty())
          return error(fmt::format("unknown shell '{}'; use bash, zsh or fish", *shell));
        fmt::print("{}", text);
        return kExitOk;
      })};
});

}  // namespace

}  // namespace tw::cli
