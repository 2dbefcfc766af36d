// SPDX-License-Identifier: Apache-2.0
// `doctor --apply` / `--revert` across network namespaces: a backup records the namespace and host
// it was written for and is restored only there; a second apply keeps the first one's original
// values. Files go under a temporary --root, sysctls change only in namespaces made here.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "run_tool.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

using testing::run_tool;
using testing::ScopedNetns;

constexpr const char* kPrefix = "twapl";

std::string proc_sys(const ScopedNetns& ns, const std::string& path) {
  auto out = testing::run_output(fmt::format("ip netns exec {} cat /proc/sys/{}", ns.name(), path));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Wrapped text joined again: a note is wrapped at the output width.
std::string one_line(std::string text) {
  for (size_t p; (p = text.find("\n  ")) != std::string::npos;) text.replace(p, 3, " ");
  return text;
}

class ApplyCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ScopedNetns::remove_stale(kPrefix); }
  void SetUp() override {
    char dir[] = "/tmp/twapl-root-XXXXXX";
    root_ = mkdtemp(dir);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  testing::ToolResult doctor(const ScopedNetns* ns, const std::string& args) {
    return run_tool(
        fmt::format("doctor{} {} --root {}", ns ? " --netns " + ns->name() : "", args, root_));
  }
  ScopedNetns a_{kPrefix}, b_{kPrefix};
  std::string root_;
};

TEST_F(ApplyCli, RevertRefusesABackupOfAnotherNamespace) {
  a_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  b_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  const std::string host_ts = testing::run_output("cat /proc/sys/net/ipv4/tcp_timestamps");

  auto dry = doctor(&a_, "--apply");
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(
      one_line(dry.out).find(
          "60-timewait.conf is left alone: it is read at boot for this machine's own namespace"),
      std::string::npos)
      << dry.out;
  auto yes = doctor(&a_, "--apply --yes");
  ASSERT_EQ(yes.code, 0) << yes.err;
  ASSERT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "1");
  auto backup = nlohmann::json::parse(
      testing::run_output(fmt::format("cat {}/var/lib/timewait/sysctl-backup.json", root_)));
  EXPECT_EQ(backup["netns"]["name"], a_.name());
  EXPECT_GT(backup["netns"]["inode"].get<uint64_t>(), 0u);
  // What it belongs to: this boot's namespace (the cookie is never reused; the inode is), the
  // machine, the kernel, when.
  EXPECT_GT(backup["netns"]["cookie"].get<uint64_t>(), 0u);
  EXPECT_EQ(backup["boot_id"].get<std::string>().size(), 36u);
  EXPECT_FALSE(backup["kernel"].get<std::string>().empty());
  EXPECT_FALSE(backup["written_at"].get<std::string>().empty());

  // B, and the host, are not A: refused before anything is written, in the dry run too.
  for (const ScopedNetns* ns :
       {static_cast<const ScopedNetns*>(&b_), static_cast<const ScopedNetns*>(nullptr)}) {
    for (std::string args : {"--revert --yes", "--revert", "--apply --yes"}) {
      SCOPED_TRACE((ns ? ns->name() : "host") + " " + args);
      auto r = doctor(ns, args);
      EXPECT_EQ(r.code, 2) << r.out << r.err;
      EXPECT_NE(r.err.find("holds the values of netns " + a_.name()), std::string::npos) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
  }
  EXPECT_EQ(proc_sys(b_, "net/ipv4/tcp_timestamps"), "0");
  EXPECT_EQ(testing::run_output("cat /proc/sys/net/ipv4/tcp_timestamps"), host_ts);

  // A's dry run says what it would restore.
  auto would = doctor(&a_, "--revert");
  ASSERT_EQ(would.code, 0) << would.err;
  EXPECT_NE(would.out.find("net.ipv4.tcp_timestamps = 0 (now 1)"), std::string::npos) << would.out;
  EXPECT_NE(would.out.find("leave alone (the apply did not write it) " + root_ +
                           "/etc/sysctl.d/60-timewait.conf"),
            std::string::npos)
      << would.out;
  auto rev = doctor(&a_, "--revert --yes");
  ASSERT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "0");
}

TEST_F(ApplyCli, ApplyApplyRevertLosesNothing) {
  a_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  ASSERT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "1");
  // Something else goes wrong after the first apply; the second apply fixes it.
  a_.set_sysctl("net.ipv4.tcp_syncookies", "0");
  auto second = doctor(&a_, "--apply --yes");
  ASSERT_EQ(second.code, 0) << second.err;
  ASSERT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "1");
  auto rev = doctor(&a_, "--revert --yes");
  ASSERT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "0");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "0");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/etc/sysctl.d/60-timewait.conf"));
}

// The kernel refuses a range that starts below ip_unprivileged_port_start: the proposal starts
// there, so --apply widens the range instead of failing half-way.
TEST_F(ApplyCli, TheProposedRangeIsOneTheKernelAccepts) {
  a_.set_sysctl("net.ipv4.ip_local_port_range", "40000 40999");
  a_.set_sysctl("net.ipv4.ip_unprivileged_port_start", "40000");
  auto r = doctor(&a_, "--apply --yes");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("net.ipv4.ip_local_port_range 40000 40999 -> 40000 60999"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t60999");
  ASSERT_EQ(doctor(&a_, "--revert --yes").code, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
}

// Runs at once take turns on the backup: whichever writes first keeps the originals, and the
// revert restores them.
TEST_F(ApplyCli, ConcurrentAppliesKeepTheOriginals) {
  a_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  a_.set_sysctl("net.ipv4.tcp_syncookies", "0");
  std::vector<std::thread> runs;
  std::vector<int> codes(4, -1);
  for (size_t i = 0; i < codes.size(); ++i)
    runs.emplace_back([&, i] { codes[i] = doctor(&a_, "--apply --yes").code; });
  for (auto& t : runs) t.join();
  for (int c : codes) EXPECT_EQ(c, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "1");
  auto rev = doctor(&a_, "--revert --yes");
  ASSERT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "0");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "0");
  EXPECT_EQ(doctor(&a_, "--revert --yes").code, 1);  // twice: nothing left
}

// A FIFO at the backup's path: --apply and --revert refuse it in one line, before anything is
// written; --revert used to open it and wait for a writer for ever.
TEST_F(ApplyCli, ApplyAndRevertRefuseAFifoAtTheBackupPath) {
  a_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  std::filesystem::create_directories(root_ + "/var/lib/timewait");
  ASSERT_EQ(mkfifo((root_ + "/var/lib/timewait/sysctl-backup.json").c_str(), 0644), 0);
  for (std::string args : {"--apply --yes", "--revert --yes", "--revert"}) {
    SCOPED_TRACE(args);
    auto r = doctor(&a_, args);
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("is a named pipe (FIFO)"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "0");  // nothing half-done
  }
}

// A namespace's values never go to /etc/sysctl.d (read at boot for this machine's namespace): a
// FIFO there does not matter to it, and the file is neither created nor opened.
TEST_F(ApplyCli, ANamespaceApplyNeverTouchesTheBootFile) {
  a_.set_sysctl("net.ipv4.tcp_timestamps", "0");
  std::filesystem::create_directories(root_ + "/etc/sysctl.d");
  const std::string conf = root_ + "/etc/sysctl.d/60-timewait.conf";
  ASSERT_EQ(mkfifo(conf.c_str(), 0644), 0);
  auto r = doctor(&a_, "--apply --yes");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "1");
  struct stat st {};
  ASSERT_EQ(lstat(conf.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  auto rev = doctor(&a_, "--revert --yes");
  EXPECT_EQ(rev.code, 0) << rev.out << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_timestamps"), "0");
  ASSERT_EQ(lstat(conf.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

}  // namespace
}  // namespace tw
