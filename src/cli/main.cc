// timewait: find, explain and fix TCP TIME_WAIT build-up and ephemeral-port exhaustion.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "cli/command.h"

namespace tw::cli {

namespace {
std::vector<std::pair<int, Setup>>& registry() {
  static std::vector<std::pair<int, Setup>> r;
  return r;
}
}  // namespace

Register::Register(int order, Setup setup) { registry().emplace_back(order, std::move(setup)); }

int error(std::string_view message, int code) {
  fmt::print(stderr, "timewait: error: {}\n", message);
  return code;
}

void note(std::string_view message) { fmt::print(stderr, "timewait: note: {}\n", message); }

}  // namespace tw::cli

int main(int argc, char** argv) {
  using namespace tw::cli;
  CLI::App app{
      "timewait: census, doctor and lab for TCP TIME_WAIT build-up and ephemeral-port "
      "exhaustion.\nRun `timewait COMMAND --help` for a command's options.",
      "timewait"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "timewait 0.1.0");
  auto& reg = registry();
  std::stable_sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  for (auto& [order, setup] : reg) commands.push_back(setup(app));
  if (argc == 1) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }
  if (argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (auto& [sub, run] : commands) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) return error(fmt::format("unknown command '{}'; commands: {}", argv[1], names));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's message names the option; add how to get help, and keep usage errors at exit 2.
    error(fmt::format("{} (see `timewait --help`)", e.what()));
    return kExitUsage;
  }
  for (auto& [sub, run] : commands)
    if (sub->parsed()) return run();
  return error("no command given (see `timewait --help`)");
}
