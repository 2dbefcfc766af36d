// SPDX-License-Identifier: Apache-2.0
// timewait: find, explain and fix TCP TIME_WAIT build-up and ephemeral-port exhaustion.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <system_error>
#include <vector>

#include "cli/command.h"
#include "cli/option_checks.h"
#include "cli/terminal.h"
#include "cli/usage_examples.h"
#include "cli/version.h"
#include "model/safe_text.h"

namespace tw::cli {

namespace {
std::vector<std::pair<int, Setup>>& registry() {
  static std::vector<std::pair<int, Setup>> r;
  return r;
}
}  // namespace

Register::Register(int order, Setup setup) { registry().emplace_back(order, std::move(setup)); }

// Messages echo paths, arguments and bytes of input files: clipped and escaped before the
// terminal sees them (model/safe_text.h).
int error(std::string_view message, int code) {
  fmt::print(stderr, "timewait: error: {}\n", message_for_terminal(message));
  return code;
}

void note(std::string_view message) {
  fmt::print(stderr, "timewait: note: {}\n", message_for_terminal(message));
}

namespace {

// A write to standard output failed with `err`. A reader that went away (`| head -1`) ends the
// program the way it ends any filter, by SIGPIPE (status 141), quietly; anything else (a full
// disk, /dev/full) is one line and exit 1, whatever the command would have returned.
int stdout_failed(int err) {
  if (err == EPIPE) {
#ifdef SIGPIPE  // Windows has no SIGPIPE: a gone reader ends the program quietly all the same
    std::signal(SIGPIPE, SIG_DFL);
    std::raise(SIGPIPE);
#endif
    return kExitFailure;  // SIGPIPE blocked: still quiet
  }
  return error(
      fmt::format("cannot write to standard output: {}", err ? std::strerror(err) : "write error"),
      kExitFailure);
}

// Output is buffered: the last of it is written here, and an earlier failed write left the
// stream's error flag set.
#ifndef EDQUOT
#define EDQUOT ENOSPC  // Windows has no quotas errno
#endif
int finish_stdout(int code) {
  // std::cout shares stdout's buffer (sync_with_stdio): its flush writes what stdio holds.
  std::cout.flush();
  // A write that failed earlier left its errno, unless a later call replaced it: keep it only
  // when it is one a write reports.
  int earlier = errno;
  if (earlier != ENOSPC && earlier != EIO && earlier != EPIPE && earlier != EFBIG &&
      earlier != EDQUOT && earlier != EBADF)
    earlier = 0;
  errno = 0;
  if (std::fflush(stdout) != 0) return stdout_failed(errno);
  if (std::ferror(stdout)) return stdout_failed(earlier);
  return code;
}

int parse_and_run(CLI::App& app, int argc, char** argv,
                  std::vector<std::pair<CLI::App*, std::function<int()>>>& commands);

}  // namespace

}  // namespace tw::cli

int main(int argc, char** argv) {
  using namespace tw::cli;
  CLI::App app{
      "timewait: census, doctor, trace, explain and lab for TCP TIME_WAIT build-up and "
      "ephemeral-port "
      "exhaustion.\n"
      "Start with `timewait census` (what sockets there are, which destination runs out of "
      "ports), then `timewait doctor` (what is wrong, why, and the fix). Run `timewait COMMAND "
      "--help` for a command's options.",
      "timewait"};
  app.formatter(std::make_shared<WrappingFormatter>());
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text());
  auto& reg = registry();
  std::stable_sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  for (auto& [order, setup] : reg) commands.push_back(setup(app));
  refuse_empty_values(&app);
  add_usage_footers(app);
  int code;
  try {
    code = parse_and_run(app, argc, argv, commands);
  } catch (const std::system_error& e) {
    // fmt::print throws when a write to standard output fails.
    return stdout_failed(e.code().value());
  } catch (const std::exception& e) {
    return error(fmt::format("unexpected failure: {}", e.what()), kExitFailure);
  }
  return finish_stdout(code);
}

namespace tw::cli {
namespace {

int parse_and_run(CLI::App& app, int argc, char** argv,
                  std::vector<std::pair<CLI::App*, std::function<int()>>>& commands) {
  if (argc == 1) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }
  if (argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (auto& [sub, run] : commands) {
      known = known || sub->get_name() == argv[1];
      if (!sub->get_group().empty())  // hidden commands are not offered
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

}  // namespace
}  // namespace tw::cli
