// SPDX-License-Identifier: Apache-2.0
// `timewait explain [TOPIC]`: the TCP state table, TIME_WAIT's purposes, 2MSL across systems, each
// sysctl and socket option the doctor talks about; short and sourced.
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "doctor/topics.h"

namespace tw::cli {

namespace {

int run(const std::string& topic) {
  if (topic.empty()) {
    fmt::print("{}", render_topic_list());
    return kExitOk;
  }
  if (const Topic* t = find_topic(topic)) {
    fmt::print("{}", render_topic(*t));
    return kExitOk;
  }
  std::string names;
  for (const Topic& t : all_topics()) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return error(fmt::format("unknown topic '{}'; topics: {}", topic, names));
}

Register explain_command(25, [](CLI::App& app) {
  auto topic = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "explain",
      "Explain TCP states, TIME_WAIT, 2MSL, the sysctls and socket options involved "
      "(no TOPIC: list the topics)");
  sub->add_option("topic", *topic, "A topic, e.g. time-wait, tcp_tw_reuse, so_linger");
  return std::pair{sub, std::function<int()>([topic] { return run(*topic); })};
});

}  // namespace

}  // namespace tw::cli
