// SPDX-License-Identifier: Apache-2.0
// Windows: no kubelet cgroups or /proc; --pod is refused as Linux-only before any of this runs.
#include "sources/pod_target.h"

namespace tw {

Status check_pod_ref(const std::string&) { return fail("--pod needs Linux"); }
std::string pod_phrase(const std::string& ref, bool) { return "pod " + ref; }
Result<PodTarget> resolve_pod(const std::string&, const PodMap&, const std::string&) {
  return fail("--pod needs Linux");
}
Result<PodTarget> find_pod(const std::string&, const HostPaths&) {
  return fail("--pod needs Linux");
}

std::map<int, ProcessPod> pods_of_processes(const std::vector<int>&, const HostPaths&) {
  return {};
}

}  // namespace tw
