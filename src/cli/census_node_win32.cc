// SPDX-License-Identifier: Apache-2.0
// Network namespaces are Linux's: --all-netns is refused before this is reached (Linux only).
#include "cli/census_node.h"

#include "cli/command.h"

namespace tw::cli {

double worst_pool_use(const Census&, const HostFacts&) { return 0; }

int run_node_census(const NodeCensusRequest&) {
  return error("--all-netns reads Linux network namespaces; leave it out on Windows");
}

}  // namespace tw::cli
