// SPDX-License-Identifier: Apache-2.0
#include "lab/lab.h"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lab/namespace.h"
#include "lab/stop.h"

namespace tw::lab {

namespace {

bool has_capability(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

Status check_privileges() {
  if (!has_capability(CAP_NET_ADMIN) || !has_capability(CAP_SYS_ADMIN))
    return fail(
        "the lab builds network namespaces and needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN): run "
        "it with sudo");
  return {};
}

Status run_scenarios(const std::vector<std::string>& names, const LabOptions& options,
                     const std::function<void(const ScenarioResult&)>& done,
                     std::vector<std::string>* cleaned,
                     const std::function<void(const LabProgress&)>& starting) {
  std::vector<const Scenario*> todo;
  for (const std::string& n : names) {
    if (n == "all") {
      for (const Scenario& s : scenarios()) todo.push_back(&s);
      continue;
    }
    const Scenario* s = find_scenario(n);
    if (!s) {
      std::string known;
      for (const Scenario& x : scenarios()) known += (known.empty() ? "" : ", ") + x.name;
      return fail(fmt::format("unknown scenario '{}'; scenarios: {}, all", n, known));
    }
    todo.push_back(s);
  }
  if (todo.empty()) return fail("name a scenario to run, or all (see `timewait lab list`)");
  if (auto st = check_privileges(); !st) return st;
  auto stale = remove_stale_namespaces();
  if (cleaned) *cleaned = stale;
  StopOnSignals signals;
  for (size_t i = 0; i < todo.size(); ++i) {
    const Scenario* s = todo[i];
    if (starting) starting({i, todo.size(), s->name});
    auto r = s->run(options);
    // Namespaces were removed when the scenario returned, whatever happened.
    if (stop_requested()) return fail("interrupted; the lab's namespaces have been removed");
    if (!r) return fail(fmt::format("scenario {}: {}", s->name, r.error()));
    done(*r);
  }
  return {};
}

}  // namespace tw::lab
