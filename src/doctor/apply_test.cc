#include "doctor/apply.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

TEST(Apply, ExecuteThenRevertRestoresFileAndValues) {
  TempRoot root;
  ApplyPaths paths{root.path};
  fs::create_directories(root.path + "/etc/sysctl.d");
  std::ofstream(paths.conf()) << "net.ipv4.tcp_tw_reuse = 2\n";
  std::map<std::string, std::string> kernel = {{"net.ipv4.tcp_tw_reuse", "2"},
                                               {"net.ipv4.tcp_timestamps", "0"}};
  SysctlWriter write = [&](const std::string& n, const std::string& v) -> Status {
    kernel[n] = v;
    return {};
  };
  std::vector<Finding> fs_ = {
      finding("x", Severity::kWarning,
              {{"net.ipv4.tcp_tw_reuse", "1", true}, {"net.ipv4.tcp_timestamps", "1", true}})};
  auto plan = plan_apply(fs_, facts(), paths);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->conf_existed);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write));
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
  ASSERT_TRUE(execute_apply(*plan2, paths, kHere, write));
  backup = nlohmann::json::parse(slurp(paths.backup()));
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(backup["values"]["net.ipv4.tcp_max_tw_buckets"], "1000");

  auto r = revert_apply(paths, kHere, write);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(kernel["net.ipv4.tcp_tw_reuse"], "2");
  EXPECT_EQ(kernel["net.ipv4.tcp_timestamps"], "0");
  EXPECT_EQ(kernel["net.ipv4.tcp_max_tw_buckets"], "1000");
  EXPECT_EQ(slurp(paths.conf()), "net.ipv4.tcp_tw_reuse = 2\n");
  EXPECT_FALSE(fs::exists(paths.backup()));
  EXPECT_FALSE(revert_apply(paths, kHere, write));  // nothing left to revert
}

TEST(Apply, RevertRemovesAFileThatDidNotExist) {
  TempRoot root;
  ApplyPaths paths{root.path};
  SysctlWriter write = [](const std::string&, const std::string&) -> Status { return {}; };
  auto plan = plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                         facts(), paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write));
  EXPECT_TRUE(fs::exists(paths.conf()));
  auto r = revert_apply(paths, kHere, write);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->conf_removed);
  EXPECT_FALSE(fs::exists(paths.conf()));
}

// A backup belongs to the namespace and host it was written for: reverting or adding to it from
// another one would write that namespace's values here.
TEST(Apply, BackupOfAnotherNamespaceIsRefused) {
  TempRoot root;
  ApplyPaths paths{root.path};
  std::map<std::string, std::string> kernel;
  SysctlWriter write = [&](const std::string& n, const std::string& v) -> Status {
    kernel[n] = v;
    return {};
  };
  auto plan = plan_apply({finding("x", Severity::kWarning, {{"net.ipv4.tcp_tw_reuse", "1", true}})},
                         facts(), paths);
  ASSERT_TRUE(execute_apply(*plan, paths, kHere, write));
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
  kernel.clear();
  EXPECT_FALSE(revert_apply(paths, other, write));
  EXPECT_FALSE(execute_apply(*plan, paths, other, write));
  EXPECT_TRUE(kernel.empty());  // nothing was written into the other namespace
  EXPECT_FALSE(check_backup_target(paths, ApplyTarget{kHere.netns_inode, "host", "web2"}));
  EXPECT_TRUE(revert_apply(paths, kHere, write));
}

}  // namespace
}  // namespace tw
