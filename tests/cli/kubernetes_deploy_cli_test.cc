// SPDX-License-Identifier: Apache-2.0
// deploy/kubernetes/ as a cluster would take it. The checks are shell (tests/kubernetes/*.sh):
// node with the validator's npm packages, and podman and runc with their state under a temporary
// root; each prints "ok: ..." on success and "FAIL: why" otherwise.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "testing/scoped_netns.h"  // run_command

namespace tw {
namespace {

using testing::run_command;

testing::CommandResult run_check(const std::string& script) {
  return run_command(fmt::format("TIMEWAIT='{}' bash '{}/tests/kubernetes/{}'", TIMEWAIT_BIN,
                                 TIMEWAIT_SOURCE_DIR, script));
}

// Every object of timewait.yaml against the Kubernetes API's schemas (and the PodMonitor's), and
// three mutated copies refused, so the check is real.
TEST(KubernetesDeploy, ManifestsMatchTheApiSchemas) {
  auto r = run_check("manifests.sh");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ok: 5 objects valid, 3 mutations refused"), std::string::npos) << r.out;
}

// The image run under podman as the DaemonSet runs it: SYS_ADMIN and SYS_PTRACE only, read-only
// root, no new privileges, scraped over TLS from the pod's namespace with the host's read too.
TEST(KubernetesDeploy, ImageRunsAsTheDaemonSetRunsIt) {
  auto r = run_check("image.sh");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ok: image run with SYS_ADMIN|SYS_PTRACE, read-only root"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace tw
