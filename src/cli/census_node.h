// SPDX-License-Identifier: Apache-2.0
// `census --all-netns`: a census of every network namespace of the node from one node read
// (sources/node_read.h), one block per namespace (JSON keyed by namespace), the namespaces under
// most pressure first.
#pragma once

#include <cstddef>
#include <optional>

#include "census/census.h"
#include "model/host_facts.h"
#include "model/port_range.h"
#include "model/state_mask.h"
#include "sources/live_sockets.h"
#include "sources/pods.h"

namespace tw::cli {

struct NodeCensusRequest {
  StateMask states;
  GroupBy by = GroupBy::kState;
  SourceKind source = SourceKind::kAuto;
  std::optional<PortPool> port_range;
  size_t top = 20;  // namespaces shown, and rows of each table; 0 = all
  bool json = false;
  // Where the host's files are (--path.procfs, --path.rootfs): the namespaces are found, entered
  // and their pods named through them, as the exporter does.
  HostPaths paths;
};

// The pressure a namespace is ranked by: the highest share (0 to 1) of its ports that any pool
// holds (every connect() tuple and bind() address pool, as the forecasts compute it).
double worst_pool_use(const Census& c, const HostFacts& facts);

// Prints the node's census; the exit status (1 when no namespace could be read).
int run_node_census(const NodeCensusRequest& r);

}  // namespace tw::cli
