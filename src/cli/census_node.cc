// SPDX-License-Identifier: Apache-2.0
#include "cli/census_node.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "census/forecast.h"
#include "census/port_pool.h"
#include "census/report.h"
#include "cli/command.h"
#include "cli/terminal.h"
#include "exporter/exporter.h"
#include "exporter/netns_labels.h"
#include "model/safe_text.h"
#include "sources/netns_list.h"
#include "sources/node_read.h"

namespace tw::cli {

namespace {

// One namespace's census; an interrupted walk starts it over.
class NamespaceCensus final : public SocketReceiver {
 public:
  explicit NamespaceCensus(CensusOptions o) : options_(o) { restart(); }
  void add(const Socket& s) override { census_->add(s); }
  void restart() override { census_ = std::make_unique<Census>(options_); }
  const Census& census() const { return *census_; }

 private:
  CensusOptions options_;
  std::unique_ptr<Census> census_;
};

struct Member {
  std::string label;
  std::unique_ptr<NamespaceCensus> pass;
  std::string note;  // the pool's, when one was assumed
  double pressure = 0;
};

std::string percent(double fraction) { return fmt::format("{:.1f} %", fraction * 100); }

// "read by one walk of the host's shared TCP table (bpf:all-netns)", or why not.
std::string how_read(const NodeReport& node) {
  if (node.one_walk)
    return fmt::format("read by one walk of the host's shared TCP table (source {})", node.source);
  return fmt::format("read one namespace at a time (source {}): {}", node.source, node.note);
}

}  // namespace

double worst_pool_use(const Census& c, const HostFacts& facts) {
  const ForecastPolicy policy = forecast_policy(facts);
  double worst = 0;
  for (const auto& t : forecast_tuples(c, policy)) worst = std::max(worst, t.forecast.percent);
  for (const auto& p : forecast_source_pools(c, policy))
    worst = std::max(worst, p.forecast.percent);
  return worst / 100;
}

int run_node_census(const NodeCensusRequest& r) {
  auto found = discover_netns(r.paths);
  if (!found) return error(found.error(), kExitFailure);
  std::vector<InputTarget> targets;
  for (const NetnsRef& ref : *found) targets.push_back(target_of(ref));

  std::vector<Member> members(targets.size());
  // Listeners come along for port pressure whatever the states asked, as in a census of one.
  const StateMask mask = Census(CensusOptions{r.states, r.by, PortPool{}}).source_states();
  NodeReport node = read_node(
      targets, r.source, mask,
      [&](size_t i, const HostFacts& facts) -> Result<SocketReceiver*> {
        PoolChoice pool = choose_pool(facts, r.port_range);
        if (!pool.error.empty()) return fail(pool.error);
        members[i].label = targets[i].label();
        members[i].pass =
            std::make_unique<NamespaceCensus>(CensusOptions{r.states, r.by, pool.pool});
        return members[i].pass.get();
      },
      read_tcp_all_netns, enter_under(r.paths));
  // A pod's namespace is named as the pod (its block's header and its JSON's host), as the
  // exporter labels it; the key stays the namespace's.
  const std::vector<NetnsLabels> labels = label_node(*found, r.paths);
  for (size_t i = 0; i < targets.size() && i < labels.size(); ++i)
    if (!labels[i].pod.empty())
      node.members[i].facts.pod = labels[i].namespace_name + "/" + labels[i].pod;

  // The namespaces read, under most pressure first (ties: most TIME_WAIT).
  std::vector<size_t> order;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!node.members[i].error.empty()) continue;
    members[i].pressure = worst_pool_use(members[i].pass->census(), node.members[i].facts);
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (members[a].pressure != members[b].pressure)
      return members[a].pressure > members[b].pressure;
    return members[a].pass->census().count(TcpState::kTimeWait) >
           members[b].pass->census().count(TcpState::kTimeWait);
  });
  const size_t read = order.size();
  if (r.top && order.size() > r.top) order.resize(r.top);

  if (r.json) {
    using nlohmann::json;
    json j;
    j["schema"] = "timewait-census-node/1";
    j["source"] = node.source;
    j["one_walk"] = node.one_walk;
    j["note"] = node.note.empty() ? json(nullptr) : json(node.note);
    j["namespaces_total"] = targets.size();
    j["namespaces_read"] = read;
    json ranked = json::array(), blocks = json::object(), errors = json::object();
    for (size_t i : order) {
      const NodeMemberReport& m = node.members[i];
      CensusReport report{&m.facts, &members[i].pass->census(), m.read.note, r.top, 100};
      json c = census_to_json(report);
      c["pressure"] = members[i].pressure;
      c["inode"] = m.inode;
      c["own_table"] = m.own_table;
      blocks[members[i].label] = std::move(c);
      ranked.push_back(members[i].label);
    }
    for (size_t i = 0; i < targets.size(); ++i)
      if (!node.members[i].error.empty()) errors[targets[i].label()] = node.members[i].error;
    j["by_pressure"] = std::move(ranked);
    j["namespaces"] = std::move(blocks);
    j["errors"] = std::move(errors);
    fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace));
  } else {
    fmt::print("Node: {} network namespace{}, {}\n", targets.size(), targets.size() == 1 ? "" : "s",
               printable_line(how_read(node)));
    fmt::print(
        "Showing {} of {} read, under most pressure first (the worst pool's share of its "
        "ports held, then most TIME_WAIT)\n",
        order.size(), read);
    for (size_t i = 0; i < targets.size(); ++i)
      if (!node.members[i].error.empty())
        fmt::print("Not read: {}: {}\n", printable_line(targets[i].label()),
                   printable_line(node.members[i].error));
    for (size_t i : order) {
      const NodeMemberReport& m = node.members[i];
      const Census& c = members[i].pass->census();
      fmt::print("\n== {}: worst pool {} used, {} TIME_WAIT ==\n", netns_title(m.facts),
                 percent(members[i].pressure), c.count(TcpState::kTimeWait));
      CensusReport report{&m.facts, &c, m.read.note, r.top, output_width()};
      fmt::print("{}", render_census_table(report));
    }
  }
  return read == 0 ? kExitFailure : kExitOk;
}

}  // namespace tw::cli
