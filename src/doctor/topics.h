// SPDX-License-Identifier: Apache-2.0
// `timewait explain [TOPIC]`: short, sourced explanations the doctor's findings link to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tw {

struct Topic {
  std::string_view name;   // what `explain` takes: "time-wait", "tcp_tw_reuse", ...
  std::string_view title;  // one line
  std::string_view text;   // preformatted, lines under 100 columns
  std::vector<std::string_view> sources;
};

const std::vector<Topic>& all_topics();

// Finds a topic by name, case-insensitive, '-' and '_' alike, a leading "net.ipv4." or
// "net.netfilter." dropped, and a few aliases ("so_reuseport", "tw_reuse", "msl").
const Topic* find_topic(std::string_view name);

std::string render_topic(const Topic& t);
std::string render_topic_list();

}  // namespace tw
