// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tw {
namespace {

namespace fs = std::filesystem;

struct TempRoot {
  std::string path;
  TempRoot() {
    char dir[] = "/tmp/twdoc-apply-XXXXXX";
    path = mkdtemp(dir);
  }
  ~TempRoot() { fs::remove_all(path); }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Finding finding(std::string id, Severity sev, std::vector<SysctlSetting> s) {
  Finding f;
  f.id = std::move(id);
  f.severity = sev;
  f.sysctls = std::move(s);
  return f;
}

HostFacts facts() {
  HostFacts h;
  h.os = "linux";
  h.sysctls = {{"net.ipv4.tcp_tw_reuse", "2"},
               {"net.ipv4.tcp_timestamps", "0"},
               {"net.ipv4.tcp_max_tw_buckets", "1000"},
               {"net.ipv4.ip_local_reserved_ports", ""}};
  return h;
}

TEST(Apply, HarmfulSettingsAreRefused) {
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_tw_recycle", "1", "0"));
  EXPECT_FALSE(harmful_reason("net.ipv4.tcp_tw_recycle", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_timestamps", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "100", "1000"));
  EXPECT_FALSE(harmful_reason("net.ipv4.tcp_max_tw_buckets", "2048", "1000"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_fin_timeout", "10", "60"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_tw_reuse_delay", "1", "1000"));
  EXPECT_TRUE(harmful_reason("net.ipv4.tcp_syncookies", "0", "1"));
  EXPECT_TRUE(harmful_reason("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "10", "120"));
}

TEST(Apply, PlanTakesApplicableChangedSafeSettings) {
  TempRoot root;
  ApplyPaths paths{root.path};
  std::vector<Finding> fs_ = {
      finding("a", Severity::kCritical,
              {{"net.ipv4.tcp_timestamps", "1", true},
               {"net.ipv4.ip_local_port_range", "10000 65535", false}}),
      finding("b", Severity::kWarning,
              {{"net.ipv4.tcp_tw_reuse", "1", true}, {"net.ipv4.tcp_fin_timeout", "5", true}}),
      finding("c", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "2", true}}),      // conflicts
      finding("d", Severity::kOk, {{"net.ipv4.tcp_max_tw_buckets", "1000", true}}),  // unchanged
  };
  auto plan = plan_apply(fs_, facts(), paths);
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->changes.size(), 2u);
  EXPECT_EQ(plan->changes[0].name, "net.ipv4.tcp_timestamps");
  EXPECT_EQ(plan->changes[0].old_value, "0");
  EXPECT_EQ(plan->changes[1].name, "net.ipv4.tcp_tw_reuse");
  EXPECT_EQ(plan->refused.size(), 2u);  // fin_timeout (harmful) and the conflicting tw_reuse=2
  EXPECT_FALSE(plan->conf_existed);
  EXPECT_NE(plan->new_conf.find("net.ipv4.tcp_timestamps = 1\n"), std::string::npos);
  EXPECT_NE(plan->new_conf.find("# b\nnet.ipv4.tcp_tw_reuse = 1\n"), std::string::npos);
  EXPECT_EQ(plan->new_conf.find("ip_local_port_range"), std::string::npos);
  EXPECT_EQ(plan->new_conf.find("fin_timeout"), std::string::npos);
}

TEST(Apply, DiffShowsAddedAndRemovedLines) {
  std::string d = render_diff("/x.conf", "a = 1\nb = 2\n", "a = 1\nb = 3\nc = 4\n");
  EXPECT_EQ(d, "--- /x.conf\n+++ /x.conf\n a = 1\n-b = 2\n+b = 3\n+c = 4\n");
}

// The namespace an apply wrote, as the backup records it.
const ApplyTarget kHere{4026531840, "host", "web1"};

// tcp_tw_reuse 2 -> 1: the apply most tests start from.
Result<ApplyPlan> reuse_plan(const ApplyPaths& paths) {
  return plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                    facts(), paths);
}

// A kernel of a few sysctls, read and written by the functions under test.
struct FakeKernel {
  std::map<std::string, std::string> values;
  std::string refuse;  // a name the kernel refuses to set (EINVAL)
  std::vector<std::string> writes;
  SysctlWriter writer() {
    return [this](const std::string& n, const std::string& v) -> Status {
      writes.push_back(n + "=" + v);
      if (n == refuse) return fail("the kernel refused " + n + " = " + v + ": Invalid argument");
      values[n] = v;
      return {};
    };
  }
  SysctlReader reader() {
    return [this](const std::string& n) -> Result<std::string> {
      auto it = values.find(n);
      if (it == values.end()) return fail("cannot read " + n);
      return it->second;
    };
  }
};

TEST(Apply, ExecuteThenRevertRestoresFileAndValues) {
  TempRoot root;
  ApplyPaths paths{root.path};
  fs::create_directories(root.path + "/etc/sysctl.d");
  std::ofstream(paths.conf()) << "net.ipv4.tcp_tw_reuse = 2\n";
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"},
                {"net.ipv4.tcp_timestamps", "0"},
                {"net.ipv4.tcp_max_tw_buckets", "1000"}}};
  auto& kernel = k.values;
  SysctlWriter write = k.writer();
  SysctlReader read = k.reader();
  std::vector<Finding> fs_ = {
      finding("x", Severity::kWarning,
              {{"net.ipv4.tcp_tw_reuse", "1", true}, {"net.ipv4.tcp_timestamps", "1", true}})};
  auto plan = plan_apply(fs_, facts(), paths);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->conf_existed);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write, read));
  EXPECT_EQ(kernel["net.ipv4.tcp_tw_reuse"], "1");
  EXPECT_EQ(kernel["net.ipv4.tcp_timestamps"], "1");
  std::string conf = slurp(paths.conf());
  EXPECT_NE(conf.find("net.ipv4.tcp_tw_reuse = 1"), std::string::npos);
  EXPECT_EQ(conf.find("net.ipv4.tcp_tw_reuse = 2"), std::string::npos);
  // No temporary files are left beside the targets.
  for (auto& e : fs::directory_iterator(root.path + "/etc/sysctl.d"))
    EXPECT_EQ(e.path().filename(), "60-timewait.conf");
  auto backup = nlohmann::json::parse(slurp(paths.backup()));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "2");

  // A second apply keeps the original old value.
  HostFacts now = facts();
  now.sysctls["net.ipv4.tcp_tw_reuse"] = "1";
  now.sysctls["net.ipv4.tcp_timestamps"] = "1";
  now.sysctls["net.ipv4.tcp_max_tw_buckets"] = "1000";
  auto plan2 = plan_apply(
      {finding("y", Severity::kWarning, {{"net.ipv4.tcp_max_tw_buckets", "4096", true}})}, now,
      paths);
  ASSERT_TRUE(plan2);
  ASSERT_TRUE(execute_apply(*plan2, paths, kHere, write, read));
  backup = nlohmann::json::parse(slurp(paths.backup()));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_max_tw_buckets"], "1000");

  auto r = revert_apply(paths, kHere, write, read);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(kernel["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(kernel["net.ipv4.tcp_timestamps"], "0");
  EXPECT_EQ(kernel["net.ipv4.tcp_max_tw_buckets"], "1000");
  EXPECT_EQ(slurp(paths.conf()), "net.ipv4.tcp_tw_reuse = 2\n");
  EXPECT_FALSE(fs::exists(paths.backup()));
  EXPECT_FALSE(revert_apply(paths, kHere, write, read));  // nothing left to revert
}

// Another namespace's apply (persist = false) leaves the boot-time file as it is, through the
// apply and the revert, even when the file changes in between: it is the host's.
TEST(Apply, AnApplyThatDoesNotPersistNeverTouchesTheFile) {
  TempRoot root;
  ApplyPaths paths{root.path};
  fs::create_directories(root.path + "/etc/sysctl.d");
  std::ofstream(paths.conf()) << "net.ipv4.tcp_syncookies = 1\n";
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  auto plan = plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                         facts(), paths, /*persist=*/false);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->new_conf, plan->old_conf);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "1");
  EXPECT_EQ(slurp(paths.conf()), "net.ipv4.tcp_syncookies = 1\n");
  EXPECT_EQ(nlohmann::json::parse(slurp(paths.backup()))["persisted"], false);
  std::ofstream(paths.conf()) << "net.core.somaxconn = 4096\n";  // the host's admin, meanwhile
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->conf_touched);
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(slurp(paths.conf()), "net.core.somaxconn = 4096\n");
}

TEST(Apply, RevertRemovesAFileThatDidNotExist) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  EXPECT_TRUE(fs::exists(paths.conf()));
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->conf_removed);
  EXPECT_FALSE(fs::exists(paths.conf()));
}

// A backup belongs to the namespace and host it was written for: reverting or adding to it from
// another one would write that namespace's values here.
TEST(Apply, BackupOfAnotherNamespaceIsRefused) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  SysctlWriter write = k.writer();
  SysctlReader read = k.reader();
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write, read));
  auto saved = read_backup(paths);
  ASSERT_TRUE(saved && *saved);
  ASSERT_TRUE((*saved)->target);
  EXPECT_EQ((*saved)->target->netns_inode, kHere.netns_inode);
  EXPECT_EQ((*saved)->target->netns, "host");
  EXPECT_EQ((*saved)->target->host, "web1");

  const ApplyTarget other{4026532999, "blue", "web1"};
  auto st = check_backup_target(paths, other);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("netns host (inode 4026531840) on web1"), std::string::npos)
      << st.error();
  k.writes.clear();
  EXPECT_FALSE(revert_apply(paths, other, write, read));
  EXPECT_FALSE(execute_apply(*plan, paths, other, write, read));
  EXPECT_TRUE(k.writes.empty());  // nothing was written into the other namespace
  EXPECT_FALSE(check_backup_target(paths, ApplyTarget{kHere.netns_inode, "host", "web2"}));
  EXPECT_TRUE(revert_apply(paths, kHere, write, read));
}

// A backup edited by hand could make --revert write any sysctl (kernel.hostname,
// kernel.core_pattern) or put any line in the boot-time file: refused, nothing written.
TEST(Apply, HandEditedBackupIsRefused) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}, {"kernel.hostname", "web1"}}};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  const std::string good = slurp(paths.backup());
  for (auto edit : std::vector<std::function<void(nlohmann::json&)>>{
           [](nlohmann::json& b) { b["values"]["kernel.hostname"] = "pwned"; },
           [](nlohmann::json& b) { b["values"]["net.ipv4.tcp_tw_reuse"] = "1; reboot"; },
           [](nlohmann::json& b) {
             b["conf"] = "kernel.core_pattern = |/tmp/x\n";
             b["conf_existed"] = true;
           }}) {
    auto b = nlohmann::json::parse(good);
    edit(b);
    std::ofstream(paths.backup()) << b.dump();
    k.writes.clear();
    auto st = check_backup_target(paths, kHere);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().find("was not written by timewait"), std::string::npos) << st.error();
    EXPECT_FALSE(revert_apply(paths, kHere, k.writer(), k.reader()));
    EXPECT_TRUE(k.writes.empty());
    EXPECT_EQ(k.values["kernel.hostname"], "web1");
  }
  // Truncated: not a backup either.
  std::ofstream(paths.backup()) << good.substr(0, good.size() / 2);
  EXPECT_FALSE(revert_apply(paths, kHere, k.writer(), k.reader()));
  EXPECT_TRUE(k.writes.empty());
}

// The kernel refuses one value (a range below ip_unprivileged_port_start is EINVAL): the values
// already set are put back, the file is not written and the backup is as it was.
TEST(Apply, AKernelRefusalChangesNothing) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_timestamps", "0"},
                {"net.ipv4.ip_local_port_range", "40000\t40999"},
                {"net.ipv4.tcp_tw_reuse", "2"}}};
  k.refuse = "net.ipv4.ip_local_port_range";
  HostFacts h = facts();
  h.sysctls["net.ipv4.ip_local_port_range"] = "40000\t40999";
  auto plan = plan_apply({finding("x", Severity::kWarning,
                                  {{"net.ipv4.tcp_timestamps", "1", true},
                                   {"net.ipv4.ip_local_port_range", "32768 60999", true}})},
                         h, paths);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->changes.size(), 2u);
  auto st = execute_apply(*plan, paths, kHere, k.writer(), k.reader());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("nothing was changed"), std::string::npos) << st.error();
  EXPECT_EQ(k.values["net.ipv4.tcp_timestamps"], "0");  // set, then put back
  EXPECT_FALSE(fs::exists(paths.conf()));
  EXPECT_FALSE(fs::exists(paths.backup()));

  // With an earlier apply's backup there, it stays exactly as it was.
  k.refuse.clear();
  auto first = plan_apply(
      {finding("y", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})}, h, paths);
  ASSERT_TRUE(execute_apply(*first, paths, kHere, k.writer(), k.reader()));
  const std::string backup = slurp(paths.backup()), conf = slurp(paths.conf());
  k.refuse = "net.ipv4.ip_local_port_range";
  auto again = plan_apply({finding("x", Severity::kWarning,
                                   {{"net.ipv4.tcp_timestamps", "1", true},
                                    {"net.ipv4.ip_local_port_range", "32768 60999", true}})},
                          h, paths);
  EXPECT_FALSE(execute_apply(*again, paths, kHere, k.writer(), k.reader()));
  EXPECT_EQ(slurp(paths.backup()), backup);
  EXPECT_EQ(slurp(paths.conf()), conf);
  EXPECT_EQ(k.values["net.ipv4.tcp_timestamps"], "0");
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "1");
}

// The old value is the one in force when the write happens, not when the doctor read the facts.
TEST(Apply, TheBackupKeepsTheValueReadWhenWriting) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "0"}}};  // facts() said 2, minutes ago
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  auto backup = nlohmann::json::parse(slurp(paths.backup()));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "0");
  EXPECT_EQ(backup["host"], "web1");
  EXPECT_FALSE(backup["written_at"].get<std::string>().empty());
  ASSERT_TRUE(revert_apply(paths, kHere, k.writer(), k.reader()));
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "0");
}

// A namespace made after the backup's one was deleted often gets the same inode: its cookie (or,
// after a reboot, the boot id) tells them apart. The host's own namespace spans reboots.
TEST(Apply, ANamespaceWithTheSameInodeButAnotherCookieIsRefused) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  ApplyTarget blue{4026532387, "blue", "web1", 11477, "boot-a", "machine-1", "6.18"};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, blue, k.writer(), k.reader()));
  EXPECT_TRUE(check_backup_target(paths, blue));
  ApplyTarget reborn = blue;
  reborn.netns_cookie = 11480;
  auto st = check_backup_target(paths, reborn);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("which is gone"), std::string::npos) << st.error();
  ApplyTarget rebooted = blue;
  rebooted.boot_id = "boot-b";
  EXPECT_FALSE(check_backup_target(paths, rebooted));
  ApplyTarget other_machine = blue;
  other_machine.machine_id = "machine-2";
  EXPECT_FALSE(check_backup_target(paths, other_machine));
  ASSERT_TRUE(revert_apply(paths, blue, k.writer(), k.reader()));

  ApplyTarget host{kInitNetnsInode, "host", "web1", 3, "boot-a", "machine-1", "6.18"};
  ASSERT_TRUE(execute_apply(*plan, paths, host, k.writer(), k.reader()));
  host.boot_id = "boot-b";
  host.kernel = "6.19";
  EXPECT_TRUE(check_backup_target(paths, host));
}

// systemd masks a sysctl.d file with a symlink to /dev/null: --revert neither removes the link
// nor writes through it, and restores no value.
TEST(Apply, RevertNeverRemovesOrWritesThroughADevice) {
  TempRoot root;
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  fs::remove(paths.conf());
  fs::create_symlink("/dev/null", paths.conf());
  k.writes.clear();
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("character device"), std::string::npos) << r.error();
  EXPECT_TRUE(fs::is_symlink(paths.conf()));
  EXPECT_TRUE(k.writes.empty());
  EXPECT_TRUE(fs::exists(paths.backup()));
}

}  // namespace
}  // namespace tw
