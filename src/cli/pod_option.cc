// SPDX-License-Identifier: Apache-2.0
#include "cli/pod_option.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "cli/command.h"
#include "cli/option_checks.h"

namespace tw::cli {

namespace {
// given(), for options that not every command declares (trace has no --from).
std::string given_any(const CLI::App* sub, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const CLI::Option* o = sub->get_option_no_throw(n); o && o->count() > 0) return n;
  return "";
}
}  // namespace

void add_pod_flags(CLI::App* sub, PodFlags* fl, const std::string& verb) {
  sub->add_option("--pod", fl->pod,
                  verb +
                      " in the network namespace of this Kubernetes pod, NAMESPACE/NAME, found on "
                      "this node from its processes' cgroups and kubelet's /var/log/pods (no API "
                      "access). A hostNetwork pod's namespace is the host's");
  sub->add_option("--path.procfs", fl->paths.procfs,
                  "Where the host's /proc is, for --pod and pod names (census -p and "
                  "--all-netns, trace; as node_exporter's, for a container that mounts it "
                  "elsewhere)")
      ->capture_default_str();
  sub->add_option("--path.rootfs", fl->paths.rootfs,
                  "Where the host's / is, for --pod and pod names (census -p and --all-netns, "
                  "trace): they come from <rootfs>/var/log/pods, named namespaces from "
                  "<rootfs>/run/netns (as node_exporter's)")
      ->capture_default_str();
  mark_linux_only(sub, {"--pod", "--path.procfs", "--path.rootfs"});
}

std::string check_host_paths(const HostPaths& p) {
  struct stat st;
  if (stat(p.procfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
      stat((p.procfs + "/stat").c_str(), &st) != 0)
    return fmt::format(
        "--path.procfs {}: not a procfs; give the host's /proc as mounted here (/host/proc in "
        "the DaemonSet)",
        p.procfs);
  if (stat(p.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fmt::format(
        "--path.rootfs {}: not a directory; give the host's root as mounted here (its "
        "run/netns and var/log/pods are read)",
        p.rootfs);
  return "";
}

Result<std::optional<PodTarget>> resolve_pod_flag(const CLI::App* sub, const PodFlags& fl,
                                                  bool paths_need_pod) {
  if (fl.pod.empty()) {
    if (auto o = given_any(sub, {"--path.procfs", "--path.rootfs"}); !o.empty() && paths_need_pod)
      return fail(fmt::format(
          "{} says where --pod finds the node's pods; give --pod or leave {} out", o, o));
    return std::optional<PodTarget>();
  }
  if (auto o = given_any(sub, {"--netns", "--pid", "--from"}); !o.empty())
    return fail(fmt::format("--pod chooses the namespace; give either --pod or {}, not both", o));
  auto pod = find_pod(fl.pod, fl.paths);
  if (!pod) return fail(pod.error());
  return std::optional<PodTarget>(std::move(*pod));
}

InputTarget pod_input_target(const PodTarget& pod) {
  if (pod.host_network)
    note(fmt::format(
        "pod {} is hostNetwork: its network namespace is the host's, shared with the host and "
        "its other hostNetwork pods; what follows is the whole host's (`timewait trace --pod {}` "
        "tells the pod's own connections apart)",
        pod.ref(), pod.ref()));
  return InputTarget{.pid = pod.pid, .pod = pod.ref(), .pod_host_network = pod.host_network};
}

}  // namespace tw::cli
