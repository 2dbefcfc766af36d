// SPDX-License-Identifier: Apache-2.0
#include "trace/requirements.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "os/unique_fd.h"
#include "trace/tracer.h"

namespace tw {
namespace {

// A /proc/self/status stand-in with the given CapEff, removed when the test ends.
class StatusFile {
 public:
  explicit StatusFile(const std::string& cap_eff) {
    char path[] = "/tmp/twstatus-XXXXXX";
    os::UniqueFd(mkstemp(path)).reset();
    path_ = path;
    std::ofstream(path_) << "Name:\ttimewait\nCapEff:\t" << cap_eff << "\n";
  }
  ~StatusFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Without the BPF build, that is what every check says first.
bool expect_built_without() {
  if (tracer_built()) return false;
  auto st = check_trace_requirements();
  EXPECT_FALSE(st);
  if (!st) {
    EXPECT_NE(st.error().find("built without BPF support"), std::string::npos);
  }
  return true;
}

TEST(TraceRequirements, NamesTheMissingCapabilities) {
  if (expect_built_without()) return;
  TracePaths p;
  StatusFile none("0000000000000000"), bpf("0000008000000000"), both("000000c000000000"),
      sys_admin("0000000000200000");
  p.status = none.path();
  auto st = check_trace_requirements(p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("lacks CAP_BPF and CAP_PERFMON"), std::string::npos) << st.error();
  p.status = bpf.path();  // CAP_BPF (39) only
  st = check_trace_requirements(p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("lacks CAP_PERFMON"), std::string::npos) << st.error();
  p.status = both.path();  // CAP_BPF + CAP_PERFMON
  EXPECT_TRUE(check_trace_requirements(p));
  p.status = sys_admin.path();  // CAP_SYS_ADMIN alone (kernels before 5.8)
  EXPECT_TRUE(check_trace_requirements(p));
}

TEST(TraceRequirements, NamesMissingKernelBtf) {
  if (expect_built_without()) return;
  TracePaths p;
  p.btf = "/tmp/twtest-no-such-btf";
  auto st = check_trace_requirements(p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("/tmp/twtest-no-such-btf is missing"), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("CONFIG_DEBUG_INFO_BTF"), std::string::npos);
}

}  // namespace
}  // namespace tw
