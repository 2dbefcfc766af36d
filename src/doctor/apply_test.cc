// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

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

TEST(Apply, PlanTakesApplicableChangedSafeSettings) {
  testing::TempDir root{"twdoc-apply"};
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

// The file's old text goes into the backup for --revert, which restores only what --apply could
// have written: a file holding anything else is refused before anything is done.
TEST(Apply, PlanRefusesAFileRevertCouldNotPutBack) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  fs::create_directories(root.path + "/etc/sysctl.d");
  auto reuse = [&] {
    return plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                      facts(), paths);
  };
  std::ofstream(paths.conf()) << "# ours\nnet.ipv4.tcp_tw_reuse = 2\n";
  EXPECT_TRUE(reuse());
  for (std::string text : {"kernel.core_pattern = |/bin/sh\n", "net.core.somaxconn = 64\n",
                           "net.ipv4.tcp_tw_reuse\n"}) {
    std::ofstream(paths.conf()) << text;
    auto plan = reuse();
    ASSERT_FALSE(plan) << text;
    EXPECT_NE(plan.error().find("holds what `doctor --apply` never writes"), std::string::npos)
        << plan.error();
  }
  // Not persisted (another namespace): the file is not read at all.
  EXPECT_TRUE(plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                         facts(), paths, /*persist=*/false));
}

// The namespace an apply wrote, as the backup records it: the host's.
ApplyTarget target(bool host, uint64_t inode, std::string name = "") {
  ApplyTarget t;
  t.host_netns = host;
  t.name = std::move(name);
  t.inode = inode;
  t.cookie = host ? 1 : inode % 1000;
  t.host_inode = 4026531833;
  t.hostname = "web1";
  t.boot_id = "boot-a";
  t.machine_id = "machine-1";
  t.kernel = "6.18";
  return t;
}
const ApplyTarget kHere = target(true, 4026531833);

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
  testing::TempDir root{"twdoc-apply"};
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
  std::string conf = testing::read_text(paths.conf());
  EXPECT_NE(conf.find("net.ipv4.tcp_tw_reuse = 1"), std::string::npos);
  EXPECT_EQ(conf.find("net.ipv4.tcp_tw_reuse = 2"), std::string::npos);
  // No temporary files are left beside the targets.
  for (auto& e : fs::directory_iterator(root.path + "/etc/sysctl.d"))
    EXPECT_EQ(e.path().filename(), "60-timewait.conf");
  auto backup = nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)));
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
  backup = nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_max_tw_buckets"], "1000");

  auto r = revert_apply(paths, kHere, write, read);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(kernel["net.ipv4.tcp_tw_reuse"], "2");
  // tcp_timestamps = 0 is a value timewait never writes, to undo its own fix either.
  EXPECT_EQ(kernel["net.ipv4.tcp_timestamps"], "1");
  ASSERT_EQ(r->refused.size(), 1u);
  EXPECT_EQ(r->refused[0].rfind("net.ipv4.tcp_timestamps = 0 (", 0), 0u) << r->refused[0];
  EXPECT_EQ(kernel["net.ipv4.tcp_max_tw_buckets"], "1000");
  EXPECT_EQ(testing::read_text(paths.conf()), "net.ipv4.tcp_tw_reuse = 2\n");
  EXPECT_FALSE(fs::exists(backup_path(paths, kHere)));
  EXPECT_FALSE(revert_apply(paths, kHere, write, read));  // nothing left to revert
}

// Another namespace's apply (persist = false) leaves the boot-time file as it is, through the
// apply and the revert, even when the file changes in between: it is the host's.
TEST(Apply, AnApplyThatDoesNotPersistNeverTouchesTheFile) {
  testing::TempDir root{"twdoc-apply"};
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
  EXPECT_EQ(testing::read_text(paths.conf()), "net.ipv4.tcp_syncookies = 1\n");
  EXPECT_EQ(nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)))["persisted"],
            false);
  std::ofstream(paths.conf()) << "net.core.somaxconn = 4096\n";  // the host's admin, meanwhile
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->conf_touched);
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(testing::read_text(paths.conf()), "net.core.somaxconn = 4096\n");
}

TEST(Apply, RevertRemovesAFileThatDidNotExist) {
  testing::TempDir root{"twdoc-apply"};
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

// Each namespace has its own backup: another one's apply neither sees nor blocks this one's, and
// a file at this namespace's path recording another namespace (or machine) is refused.
TEST(Apply, EachNamespaceHasItsOwnBackup) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  SysctlWriter write = k.writer();
  SysctlReader read = k.reader();
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write, read));
  auto saved = read_backup(paths, kHere);
  ASSERT_TRUE(saved && *saved);
  EXPECT_TRUE((*saved)->target.host_netns);
  EXPECT_EQ((*saved)->target.hostname, "web1");
  EXPECT_EQ((*saved)->path, root.path + "/var/lib/timewait/backups/host.json");

  const ApplyTarget blue = target(false, 4026532999, "blue");
  EXPECT_NE(backup_path(paths, blue), backup_path(paths, kHere));
  auto none = revert_apply(paths, blue, write, read);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("nothing to revert"), std::string::npos) << none.error();
  auto blue_plan =
      plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                 facts(), paths, /*persist=*/false);
  k.values["net.ipv4.tcp_tw_reuse"] = "0";  // blue's own value
  ASSERT_TRUE(execute_apply(*blue_plan, paths, blue, write, read));
  ASSERT_TRUE(fs::exists(backup_path(paths, blue)));
  auto r = revert_apply(paths, blue, write, read);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "0");
  EXPECT_TRUE(fs::exists(backup_path(paths, kHere)));  // the host's is still there

  // The host of another machine (a copied disk) is not this one.
  ApplyTarget elsewhere = kHere;
  elsewhere.machine_id = "machine-2";
  auto st = read_backup(paths, elsewhere);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("holds the values of the host's network namespace"), std::string::npos)
      << st.error();
  k.writes.clear();
  EXPECT_FALSE(revert_apply(paths, elsewhere, write, read));
  EXPECT_FALSE(execute_apply(*plan, paths, elsewhere, write, read));
  EXPECT_TRUE(k.writes.empty());
  EXPECT_TRUE(revert_apply(paths, kHere, write, read));
}

// A backup edited by hand could make --revert write any sysctl (kernel.hostname,
// kernel.core_pattern) or put any line in the boot-time file: refused, nothing written.
TEST(Apply, HandEditedBackupIsRefused) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}, {"kernel.hostname", "web1"}}};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  const std::string good = testing::read_text(backup_path(paths, kHere));
  for (auto edit : std::vector<std::function<void(nlohmann::json&)>>{
           [](nlohmann::json& b) { b["values"]["kernel.hostname"] = "pwned"; },
           [](nlohmann::json& b) { b["values"]["net.ipv4.tcp_tw_reuse"] = "1; reboot"; },
           [](nlohmann::json& b) {
             b["conf"] = "kernel.core_pattern = |/tmp/x\n";
             b["conf_existed"] = true;
           },
           [](nlohmann::json& b) {
             b["conf"] = "net.ipv4.tcp_syncookies = 0\n";  // harmful: --apply never writes it
             b["conf_existed"] = true;
           },
           [](nlohmann::json& b) {
             b["conf"] = "-net.ipv4.tcp_tw_reuse = 1\n";
             b["conf_existed"] = true;
           },
           [](nlohmann::json& b) {
             b["conf"] = "net.ipv4.tcp_tw_reuse = 1\nnet/ipv4/tcp_syncookies = 0\n";
             b["conf_existed"] = true;
           },
           [](nlohmann::json& b) {
             b["conf"] = "@include /etc/shadow\n";
             b["conf_existed"] = true;
           }}) {
    auto b = nlohmann::json::parse(good);
    edit(b);
    std::ofstream(backup_path(paths, kHere)) << b.dump();
    k.writes.clear();
    auto st = read_backup(paths, kHere);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().find("was not written by timewait"), std::string::npos) << st.error();
    EXPECT_FALSE(revert_apply(paths, kHere, k.writer(), k.reader()));
    EXPECT_TRUE(k.writes.empty());
    EXPECT_EQ(k.values["kernel.hostname"], "web1");
  }
  // Truncated: not a backup either.
  std::ofstream(backup_path(paths, kHere)) << good.substr(0, good.size() / 2);
  EXPECT_FALSE(revert_apply(paths, kHere, k.writer(), k.reader()));
  EXPECT_TRUE(k.writes.empty());
}

// The kernel refuses one value (a range below ip_unprivileged_port_start is EINVAL): the values
// already set are put back, the file is not written and the backup is as it was.
TEST(Apply, AKernelRefusalChangesNothing) {
  testing::TempDir root{"twdoc-apply"};
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
  EXPECT_FALSE(fs::exists(backup_path(paths, kHere)));

  // With an earlier apply's backup there, it stays exactly as it was.
  k.refuse.clear();
  auto first = plan_apply(
      {finding("y", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})}, h, paths);
  ASSERT_TRUE(execute_apply(*first, paths, kHere, k.writer(), k.reader()));
  const std::string backup = testing::read_text(backup_path(paths, kHere)),
                    conf = testing::read_text(paths.conf());
  k.refuse = "net.ipv4.ip_local_port_range";
  auto again = plan_apply({finding("x", Severity::kWarning,
                                   {{"net.ipv4.tcp_timestamps", "1", true},
                                    {"net.ipv4.ip_local_port_range", "32768 60999", true}})},
                          h, paths);
  EXPECT_FALSE(execute_apply(*again, paths, kHere, k.writer(), k.reader()));
  EXPECT_EQ(testing::read_text(backup_path(paths, kHere)), backup);
  EXPECT_EQ(testing::read_text(paths.conf()), conf);
  EXPECT_EQ(k.values["net.ipv4.tcp_timestamps"], "0");
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "1");
}

// The old value is the one in force when the write happens, not when the doctor read the facts.
TEST(Apply, TheBackupKeepsTheValueReadWhenWriting) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "0"}}};  // facts() said 2, minutes ago
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  auto backup = nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "0");
  EXPECT_EQ(backup["host"], "web1");
  EXPECT_FALSE(backup["written_at"].get<std::string>().empty());
  ASSERT_TRUE(revert_apply(paths, kHere, k.writer(), k.reader()));
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "0");
}

// A namespace made after the backup's one was deleted often gets the same inode: its cookie (or,
// after a reboot, the boot id) tells them apart, and the gone one's backup is named stale. The
// host's own namespace spans reboots: after one, its backup is still the host's.
TEST(Apply, ANamespaceWithTheSameInodeButAnotherCookieIsAnother) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"}}};
  const ApplyTarget blue = target(false, 4026532387, "blue");
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, blue, k.writer(), k.reader()));
  auto mine = read_backup(paths, blue);
  ASSERT_TRUE(mine && *mine);
  for (auto change : std::vector<std::function<void(ApplyTarget&)>>{
           [](ApplyTarget& t) { t.cookie += 3; }, [](ApplyTarget& t) { t.boot_id = "boot-b"; }}) {
    ApplyTarget reborn = blue;
    change(reborn);
    EXPECT_FALSE(same_namespace(blue, reborn));
    auto none = read_backup(paths, reborn);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto stale = stale_backups(paths, reborn);
    ASSERT_EQ(stale.size(), 1u);
    EXPECT_EQ(stale[0].path, backup_path(paths, blue));
    const std::string msg = nothing_to_revert(paths, reborn);
    EXPECT_NE(msg.find("is the stale backup of netns blue"), std::string::npos) << msg;
    EXPECT_NE(msg.find(reborn.boot_id == "boot-b" ? "rebooted" : "deleted since"),
              std::string::npos)
        << msg;
  }
  ASSERT_TRUE(revert_apply(paths, blue, k.writer(), k.reader()));

  ApplyTarget host = kHere;
  ASSERT_TRUE(execute_apply(*plan, paths, host, k.writer(), k.reader()));
  host.boot_id = "boot-b";  // rebooted: another inode, cookie and kernel, the same host
  host.inode = 4026531840;
  host.cookie = 7;
  host.kernel = "6.19";
  auto after = read_backup(paths, host);
  ASSERT_TRUE(after) << after.error();
  ASSERT_TRUE(*after);
  EXPECT_TRUE(revert_apply(paths, host, k.writer(), k.reader()));
}

// timewait 0.x kept one backup, sysctl-backup.json, and wrote "host" for any namespace entered
// without --netns (`ip netns exec` too): it is read as the namespace it really was, moved to its
// own file by the next apply, and no longer blocks other namespaces.
TEST(Apply, TheOldSingleBackupIsReadAndMoved) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  fs::create_directories(paths.dir());
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "1"}, {"net.ipv4.tcp_timestamps", "0"}}};
  auto old = [&](const std::string& name, uint64_t inode, const std::string& boot) {
    nlohmann::json b{{"format", "timewait-sysctl-backup"},
                     {"version", 1},
                     {"netns", {{"inode", inode}, {"name", name}, {"cookie", 5}}},
                     {"host", "web1"},
                     {"machine_id", "machine-1"},
                     {"boot_id", boot},
                     {"persisted", true},
                     {"conf_existed", false},
                     {"conf", ""},
                     {"values", {{"net.ipv4.tcp_tw_reuse", "2"}}}};
    std::ofstream(paths.legacy_backup()) << b.dump();
  };
  // From an earlier boot, "host": the host's (kInitNetnsInode made it read as gone before).
  old("host", 0xF0000000, "boot-0");
  auto saved = read_backup(paths, kHere);
  ASSERT_TRUE(saved) << saved.error();
  ASSERT_TRUE(*saved);
  EXPECT_TRUE((*saved)->legacy);
  // Another namespace is not blocked by it.
  const ApplyTarget blue = target(false, 4026532387, "blue");
  auto none = read_backup(paths, blue);
  ASSERT_TRUE(none) << none.error();
  EXPECT_FALSE(*none);
  // The next apply moves it, keeping its original value.
  auto plan = plan_apply(
      {finding("t", Severity::kWarning, {{"net.ipv4.tcp_timestamps", "1", true}})}, facts(), paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  EXPECT_FALSE(fs::exists(paths.legacy_backup()));
  auto moved = nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)));
  EXPECT_EQ(moved["values"]["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(moved["values"]["net.ipv4.tcp_timestamps"], "0");
  EXPECT_EQ(moved["netns"]["host"], true);
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(k.values["net.ipv4.tcp_tw_reuse"], "2");

  // From this boot, "host" with another inode than PID 1's: an `ip netns exec` namespace's.
  old("host", blue.inode, kHere.boot_id);
  auto host_has = read_backup(paths, kHere);
  ASSERT_TRUE(host_has);
  EXPECT_FALSE(*host_has);
  ApplyTarget exec_ns = blue;
  exec_ns.cookie = 5;
  auto ns_has = read_backup(paths, exec_ns);
  ASSERT_TRUE(ns_has) << ns_has.error();
  ASSERT_TRUE(*ns_has);
  EXPECT_FALSE((*ns_has)->target.host_netns);
}

// Values planted to be "restored" (or the harmful value an apply replaced) are not written back;
// the rest is, and the refusal names each.
TEST(Apply, RevertLeavesHarmfulSavedValues) {
  testing::TempDir root{"twdoc-apply"};
  ApplyPaths paths{root.path};
  FakeKernel k{{{"net.ipv4.tcp_tw_reuse", "2"},
                {"net.ipv4.tcp_max_tw_buckets", "262144"},
                {"net.ipv4.ip_local_port_range", "32768\t60999"},
                {"net.core.somaxconn", "4096"},
                {"net.ipv4.tcp_syncookies", "1"}}};
  auto plan = reuse_plan(paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, k.writer(), k.reader()));
  auto b = nlohmann::json::parse(testing::read_text(backup_path(paths, kHere)));
  b["values"]["net.ipv4.tcp_max_tw_buckets"] = "0";
  b["values"]["net.ipv4.ip_local_port_range"] = "60999 61000";
  b["values"]["net.core.somaxconn"] = "1";
  b["values"]["net.ipv4.tcp_syncookies"] = "0";
  std::ofstream(backup_path(paths, kHere)) << b.dump();
  k.writes.clear();
  auto r = revert_apply(paths, kHere, k.writer(), k.reader());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->refused.size(), 4u);
  EXPECT_EQ(k.writes, std::vector<std::string>{"net.ipv4.tcp_tw_reuse=2"});
  EXPECT_EQ(k.values["net.ipv4.tcp_max_tw_buckets"], "262144");
  EXPECT_EQ(k.values["net.ipv4.ip_local_port_range"], "32768\t60999");
  const std::string line = refused_restore(SavedApply{backup_path(paths, kHere)}, r->refused);
  for (const char* says : {"net.ipv4.tcp_max_tw_buckets = 0 (", "60999 61000 (a range of 2 ports",
                           "net.core.somaxconn = 1 (", "net.ipv4.tcp_syncookies = 0 ("})
    EXPECT_NE(line.find(says), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// systemd masks a sysctl.d file with a symlink to /dev/null: --revert neither removes the link
// nor writes through it, and restores no value.
TEST(Apply, RevertNeverRemovesOrWritesThroughADevice) {
  testing::TempDir root{"twdoc-apply"};
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
  EXPECT_TRUE(fs::exists(backup_path(paths, kHere)));
}

}  // namespace
}  // namespace tw
