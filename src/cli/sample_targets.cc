// SPDX-License-Identifier: Apache-2.0
#include "cli/sample_targets.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include "sources/netns.h"

namespace tw::cli {

Result<std::vector<SampleTarget>> sample_targets(const std::vector<std::string>& netns,
                                                 const std::vector<int>& pids) {
  std::vector<SampleTarget> out;
  std::set<std::string> seen;
  for (const auto& n : netns) {
    if (!seen.insert(n).second) return fail(fmt::format("--netns {} is given twice", n));
    if (auto ino = netns_inode_by_name(n); !ino) return fail(ino.error());
    out.push_back(SampleTarget{n});
  }
  for (int pid : pids) {
    SampleTarget t{"", pid};
    if (!seen.insert(t.label()).second) return fail(fmt::format("--pid {} is given twice", pid));
    struct stat st;
    if (stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &st) != 0)
      return fail(
          fmt::format("--pid {}: no such process (its network namespace is "
                      "/proc/{}/ns/net)",
                      pid, pid));
    out.push_back(t);
  }
  if (out.empty()) out.push_back(SampleTarget{});
  return out;
}

}  // namespace tw::cli
