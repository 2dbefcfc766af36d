// SPDX-License-Identifier: Apache-2.0
// `--pod NAMESPACE/NAME` and node_exporter's --path.procfs/--path.rootfs, the same on census,
// doctor, watch and trace: declared once here, resolved by sources/pod_target.h.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "model/result.h"
#include "sources/input.h"
#include "sources/pod_target.h"

namespace tw::cli {

struct PodFlags {
  std::string pod;
  HostPaths paths;
};

// Declares --pod (`verb` says what is done in the pod's namespace: "Count", "Audit") and the two
// --path options on `sub`.
void add_pod_flags(CLI::App* sub, PodFlags* fl, const std::string& verb);

// "" when --path.procfs is a procfs (it has `stat`) and --path.rootfs a directory, else the
// one-line error: a wrong mount would otherwise show as a node with no namespaces or pods.
std::string check_host_paths(const HostPaths& p);

// The pod of --pod, found on the node; nullopt without --pod. A usage error when --pod is given
// with --netns, --pid or --from, or --path.* without --pod (where `paths_need_pod`), and when the
// pod is not on this node.
Result<std::optional<PodTarget>> resolve_pod_flag(const CLI::App* sub, const PodFlags& fl,
                                                  bool paths_need_pod = true);

// The InputTarget of a pod: one of its processes in its namespace, and its name. A hostNetwork
// pod's is the host's namespace: a note on stderr says so, since its counts are not the pod's
// alone.
InputTarget pod_input_target(const PodTarget& pod);

}  // namespace tw::cli
