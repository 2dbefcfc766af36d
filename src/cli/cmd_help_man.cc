// SPDX-License-Identifier: Apache-2.0
// `timewait help-man --dir DIR` (hidden): writes timewait.8 and timewait-COMMAND.8 into DIR from
// the definition `--help` prints; the build runs it, so the man pages cannot drift from --help.
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "cli/usage_definition.h"
#include "cli/version.h"
#include "sources/output_file.h"
#include "usage/man_page.h"

namespace tw::cli {

namespace {

usage::ManInfo man_info() {
  usage::ManInfo info;
  info.version = build_info().version;
  info.date = build_info().date;
  // EXIT STATUS and EXAMPLES come from the definition (cli/usage_examples.cc).
  info.root_sections = {
      {"Environment", "COLUMNS\tthe width tables and --help fit (else the terminal's, else 100)."},
      {"Files",
       "/etc/sysctl.d/60-timewait.conf\twhat `doctor --apply --yes` writes (and `--revert` "
       "restores).\n"
       "/etc/default/timewait-exporter\tthe options (`ARGS=`) the timewait-exporter service "
       "runs `timewait exporter` with (the package's).\n"
       "/usr/share/doc/timewait/\tthe README and the documentation of each command."},
  };
  info.see_also = {"ss(8)", "netstat(8)", "ip-netns(8)", "sysctl(8)", "tcp(7)"};
  return info;
}

Register help_man_command(90, [](CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("help-man", "Write the man pages into DIR (for the build)");
  sub->group("");  // hidden: not for users
  sub->add_option("--dir", *dir, "Directory to write timewait.8 and timewait-COMMAND.8 into")
      ->required();
  const CLI::App* root = &app;
  return std::pair{
      sub, std::function<int()>([dir, root] {
        for (const usage::ManPage& p : usage::man_pages(usage_definition(*root), man_info())) {
          auto st = write_file_atomically(*dir + "/" + p.file, p.text, true);
          if (!st) return error(st.error(), kExitFailure);
        }
        return kExitOk;
      })};
});

}  // namespace

}  // namespace tw::cli
