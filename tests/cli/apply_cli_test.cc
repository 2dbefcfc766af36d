// SPDX-License-Identifier: Apache-2.0
// `doctor --apply` / `--revert` across network namespaces: each namespace has its own backup,
// recording what it belongs to, restored only there; "host" is PID 1's namespace (so `ip netns
// exec` is not the host); a backup another user could have written is refused, as are harmful
// saved values; a run killed mid-way leaves no temporary file for good. Files go under a
// temporary --root, sysctls change only in namespaces made here: the host's are only read.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "run_tool.h"
#include "testing/scoped_netns.h"

namespace tw {
namespace {

namespace fs = std::filesystem;
using testing::run_tool;
using testing::ScopedNetns;

constexpr const char* kPrefix = "twapl";
constexpr uid_t kNobody = 65534;

std::string proc_sys(const ScopedNetns& ns, const std::string& path) {
  auto out = testing::run_output(fmt::format("ip netns exec {} cat /proc/sys/{}", ns.name(), path));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string host_sys(const std::string& path) { return testing::read_text("/proc/sys/" + path); }

// Wrapped text joined again: a note is wrapped at the output width.
std::string one_line(std::string text) {
  for (size_t p; (p = text.find("\n  ")) != std::string::npos;) text.replace(p, 3, " ");
  return text;
}

int lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// `PREFIX timewait ARGS` (PREFIX: `ip netns exec NS`, `strace ...`), as run_tool runs timewait;
// the exit status as the shell reports it (128 + N for a signal).
testing::ToolResult run_with(const std::string& prefix, const std::string& args) {
  testing::TempDir d("twapl-run");
  if (!d.ok()) return {};
  const std::string cmd = fmt::format("{} {} {} </dev/null >{}/out 2>{}/err", prefix, TIMEWAIT_BIN,
                                      args, d.path, d.path);
  int rc = std::system(cmd.c_str());
  testing::ToolResult r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : WIFSIGNALED(rc) ? 128 + WTERMSIG(rc) : -1;
  r.out = testing::read_text(d / "out");
  r.err = testing::read_text(d / "err");
  return r;
}

// Every file under `dir` whose name holds ".tmp-" (what an atomic write leaves when killed).
std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().find(".tmp-") != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

class ApplyCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ScopedNetns::remove_stale(kPrefix); }
  void SetUp() override {
    // A narrow range: the doctor widens it with --apply, and --revert may narrow it again (a
    // value timewait writes, unlike the harmful ones a fix replaces).
    for (const ScopedNetns* ns : {&a_, &b_})
      ns->set_sysctl("net.ipv4.ip_local_port_range", "40000 40999");
  }
  testing::ToolResult doctor(const ScopedNetns* ns, const std::string& args) {
    return run_tool(
        fmt::format("doctor{} {} --root {}", ns ? " --netns " + ns->name() : "", args, root_));
  }
  // Where --apply keeps `ns`'s backup, as its dry run says.
  std::string backup_of(const ScopedNetns& ns) {
    auto r = doctor(&ns, "--apply --json");
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out).at("backup").get<std::string>();
  }
  std::string conf() const { return root_ + "/etc/sysctl.d/60-timewait.conf"; }
  ScopedNetns a_{kPrefix}, b_{kPrefix};
  testing::TempDir tmp_{"twapl-root"};
  const std::string root_ = tmp_.path;
};

// During an incident the second namespace's fix must not wait for the first one's revert: each
// namespace keeps its own backup, and each revert restores its own values only.
TEST_F(ApplyCli, ApplyInTwoNamespacesThenRevertEach) {
  b_.set_sysctl("net.ipv4.ip_local_port_range", "41000 42999");
  const std::string host_range = host_sys("net/ipv4/ip_local_port_range");

  auto dry = doctor(&a_, "--apply");
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(one_line(dry.out).find("60-timewait.conf is left alone: it is read at boot for the "
                                   "host's network namespace"),
            std::string::npos)
      << dry.out;
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  auto second = doctor(&b_, "--apply --yes");
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  const std::string a_wide = proc_sys(a_, "net/ipv4/ip_local_port_range");
  ASSERT_NE(a_wide, "40000\t40999");
  ASSERT_NE(proc_sys(b_, "net/ipv4/ip_local_port_range"), "41000\t42999");

  // What each backup belongs to: the namespace (this boot's inode and cookie), not the host, the
  // machine, the kernel, when, and which timewait.
  const std::string a_file = backup_of(a_), b_file = backup_of(b_);
  ASSERT_NE(a_file, b_file);
  auto backup = nlohmann::json::parse(testing::read_text(a_file));
  EXPECT_EQ(backup["netns"]["name"], a_.name());
  EXPECT_EQ(backup["netns"]["host"], false);
  EXPECT_GT(backup["netns"]["inode"].get<uint64_t>(), 0u);
  EXPECT_GT(backup["netns"]["cookie"].get<uint64_t>(), 0u);
  EXPECT_EQ(backup["boot_id"].get<std::string>().size(), 36u);
  EXPECT_FALSE(backup["kernel"].get<std::string>().empty());
  EXPECT_FALSE(backup["written_at"].get<std::string>().empty());
  EXPECT_FALSE(backup["timewait_version"].get<std::string>().empty());
  EXPECT_EQ(backup["values"]["net.ipv4.ip_local_port_range"], "40000\t40999");

  // The host has none of them: nothing to revert there (dry run: the host's values are never
  // written by these tests).
  auto host = doctor(nullptr, "--revert");
  EXPECT_EQ(host.code, 1) << host.err;
  EXPECT_NE(host.err.find("holds no backup of the host's network namespace"), std::string::npos)
      << host.err;

  auto would = doctor(&a_, "--revert");
  ASSERT_EQ(would.code, 0) << would.err;
  EXPECT_NE(would.out.find("net.ipv4.ip_local_port_range = 40000\t40999 (now "), std::string::npos)
      << would.out;
  auto rev_b = doctor(&b_, "--revert --yes");
  ASSERT_EQ(rev_b.code, 0) << rev_b.err;
  EXPECT_EQ(proc_sys(b_, "net/ipv4/ip_local_port_range"), "41000\t42999");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), a_wide);  // a's is a's
  auto rev_a = doctor(&a_, "--revert --yes");
  ASSERT_EQ(rev_a.code, 0) << rev_a.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_FALSE(fs::exists(a_file));
  EXPECT_FALSE(fs::exists(b_file));
  EXPECT_FALSE(fs::exists(conf()));
  EXPECT_EQ(host_sys("net/ipv4/ip_local_port_range"), host_range);
}

// `ip netns exec NS timewait doctor --apply --yes` is NS, not the host: PID 1's namespace is the
// host's, whatever the options say. The host's sysctl.d file is never written with NS's values;
// the backup names NS (found under /run/netns) and its revert works the same way.
TEST_F(ApplyCli, IpNetnsExecIsNotTheHost) {
  const std::string exec = "ip netns exec " + a_.name();
  auto r = run_with(exec, "doctor --apply --yes --root " + root_);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_FALSE(fs::exists(conf())) << testing::read_text(conf());
  EXPECT_EQ(r.out.find("wrote "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in /proc/sys of netns " + a_.name()), std::string::npos) << r.out;
  EXPECT_NE(one_line(r.err).find("60-timewait.conf is left alone"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root_ + "/var/lib/timewait/backups/host.json"));
  const std::string file = backup_of(a_);  // --netns NAME finds the same backup
  auto backup = nlohmann::json::parse(testing::read_text(file));
  EXPECT_EQ(backup["netns"]["host"], false);
  EXPECT_EQ(backup["netns"]["name"], a_.name());
  EXPECT_EQ(backup["persisted"], false);

  auto rev = run_with(exec, "doctor --revert --yes --root " + root_);
  ASSERT_EQ(rev.code, 0) << rev.out << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_FALSE(fs::exists(conf()));
  EXPECT_FALSE(fs::exists(file));
}

// One namespace, however it is named: applied through --pid of a process in it, its backup is
// the one --netns and `ip netns exec` find and revert.
TEST_F(ApplyCli, PidNetnsAndInsideAreTheSameNamespace) {
  const std::string pid_file = root_ + "/sleeper.pid";
  ASSERT_EQ(std::system(fmt::format("ip netns exec {} sh -c 'echo $$ > {}; exec sleep 60' &",
                                    a_.name(), pid_file)
                            .c_str()),
            0);
  std::string pid;
  for (int i = 0; i < 100 && pid.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pid = testing::read_text(pid_file);
    while (!pid.empty() && pid.back() == '\n') pid.pop_back();
  }
  ASSERT_FALSE(pid.empty());
  auto r = run_tool(fmt::format("doctor --pid {} --apply --yes --root {}", pid, root_));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_FALSE(fs::exists(conf()));
  const std::string file = backup_of(a_);
  EXPECT_TRUE(fs::exists(file)) << file;
  auto would = run_with("ip netns exec " + a_.name(), "doctor --revert --root " + root_);
  EXPECT_EQ(would.code, 0) << would.err;
  EXPECT_NE(would.out.find(file), std::string::npos) << would.out;
  auto rev = doctor(&a_, "--revert --yes");
  EXPECT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  std::system(fmt::format("kill {}", pid).c_str());
}

// After a reboot every namespace has new inodes; the host is still the host (PID 1's). Its
// backup, written by an earlier boot (and the single backup of timewait 0.x, which recorded
// "host" and 0xF0000000), reads as the host's: the dry runs show it, nothing is written here.
TEST_F(ApplyCli, TheHostsBackupOutlivesAReboot) {
  const std::string range = host_sys("net/ipv4/ip_local_port_range");
  std::string value = range;
  while (!value.empty() && value.back() == '\n') value.pop_back();
  auto first_line = [](const std::string& path) {
    std::string t = testing::read_text(path);
    return t.substr(0, t.find('\n'));
  };
  // As this machine's timewait wrote it before the reboot: another boot, another inode.
  nlohmann::json b{{"format", "timewait-sysctl-backup"},
                   {"version", 2},
                   {"written_at", "2026-01-01T00:00:00Z"},
                   {"netns", {{"host", true}, {"name", ""}, {"inode", 4026531840u}, {"cookie", 1}}},
                   {"host", first_line("/proc/sys/kernel/hostname")},
                   {"machine_id", first_line("/etc/machine-id")},
                   {"boot_id", "00000000-0000-0000-0000-000000000000"},
                   {"persisted", true},
                   {"conf_existed", false},
                   {"conf", ""},
                   {"values", {{"net.ipv4.ip_local_port_range", value}}}};
  fs::create_directories(root_ + "/var/lib/timewait/backups");
  for (bool legacy : {false, true}) {
    SCOPED_TRACE(legacy ? "timewait 0.x" : "this format");
    const std::string file = legacy ? root_ + "/var/lib/timewait/sysctl-backup.json"
                                    : root_ + "/var/lib/timewait/backups/host.json";
    nlohmann::json w = b;
    if (legacy) w["netns"] = {{"inode", 0xF0000000u}, {"name", "host"}, {"cookie", 1}};
    std::ofstream(file) << w.dump();
    auto r = doctor(nullptr, "--revert");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("would restore in /proc/sys of the host's network namespace"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("the values saved in " + file), std::string::npos) << r.out;
    // Another namespace is not blocked by the host's backup, nor takes it for its own.
    auto other = doctor(&a_, "--revert");
    EXPECT_EQ(other.code, 1) << other.err;
    EXPECT_NE(other.err.find("nothing to revert"), std::string::npos) << other.err;
    fs::remove(file);
  }
  EXPECT_EQ(host_sys("net/ipv4/ip_local_port_range"), range);
}

// A backup another user could have written makes --revert write that user's values: refused,
// the file or the directory above it named with its owner and mode, nothing written.
TEST_F(ApplyCli, ABackupOthersCouldWriteIsRefused) {
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  const std::string wide = proc_sys(a_, "net/ipv4/ip_local_port_range");
  const std::string file = backup_of(a_);
  const std::string dir = fs::path(file).parent_path().string();
  const std::string top = root_ + "/var/lib/timewait";
  struct Attack {
    std::string what, says;
    std::function<void()> make, undo;
  };
  std::vector<Attack> attacks = {
      {"owned by nobody", "the backup " + file + " is owned by nobody (65534) with mode 0600",
       [&] { ASSERT_EQ(chown(file.c_str(), kNobody, kNobody), 0); },
       [&] { ASSERT_EQ(chown(file.c_str(), 0, 0), 0); }},
      {"group-writable backup", "with mode 0664", [&] { ASSERT_EQ(chmod(file.c_str(), 0664), 0); },
       [&] { ASSERT_EQ(chmod(file.c_str(), 0600), 0); }},
      {"group-writable directory", "the directory above the backup " + dir,
       [&] { ASSERT_EQ(chmod(dir.c_str(), 0770), 0); },
       [&] { ASSERT_EQ(chmod(dir.c_str(), 0700), 0); }},
      {"world-writable directory above", "the directory above the backup " + top,
       [&] { ASSERT_EQ(chmod(top.c_str(), 0777), 0); },
       [&] { ASSERT_EQ(chmod(top.c_str(), 0755), 0); }},
      {"directory owned by nobody", top + " is owned by nobody",
       [&] { ASSERT_EQ(chown(top.c_str(), kNobody, kNobody), 0); },
       [&] { ASSERT_EQ(chown(top.c_str(), 0, 0), 0); }},
  };
  for (auto& attack : attacks) {
    attack.make();
    for (std::string args : {"--revert --yes", "--revert", "--apply --yes"}) {
      SCOPED_TRACE(attack.what + ": " + args);
      auto r = doctor(&a_, args);
      EXPECT_EQ(r.code, 2) << r.out << r.err;
      EXPECT_NE(r.err.find(attack.says), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("timewait trusts it only when root alone can write it"),
                std::string::npos)
          << r.err;
      EXPECT_EQ(lines(r.err), 1) << r.err;
      EXPECT_EQ(r.out, "");
      EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), wide);
    }
    attack.undo();
  }
  ASSERT_EQ(doctor(&a_, "--revert --yes").code, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
}

// Even a root-owned backup is not trusted to "restore" harmful values: tcp_max_tw_buckets = 0, a
// two-port range, somaxconn = 1, SYN cookies off are left as they are, each named; a sysctl.d
// text with lines --apply never writes, or one from another namespace's file, is refused whole.
TEST_F(ApplyCli, HarmfulOrForeignBackupsAreRefused) {
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  const std::string file = backup_of(a_);
  const std::string good = testing::read_text(file);
  a_.set_sysctl("net.ipv4.tcp_max_tw_buckets", "4096");
  a_.set_sysctl("net.core.somaxconn", "4096");
  a_.set_sysctl("net.ipv4.tcp_syncookies", "1");
  const std::string wide = proc_sys(a_, "net/ipv4/ip_local_port_range");

  auto b = nlohmann::json::parse(good);
  b["values"]["net.ipv4.tcp_max_tw_buckets"] = "0";
  b["values"]["net.ipv4.ip_local_port_range"] = "60999 61000";
  b["values"]["net.core.somaxconn"] = "1";
  b["values"]["net.ipv4.tcp_syncookies"] = "0";
  std::ofstream(file) << b.dump();
  auto dry = doctor(&a_, "--revert");
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("net.core.somaxconn = 1 (now 4096): not restored"), std::string::npos)
      << dry.out;
  auto r = doctor(&a_, "--revert --yes");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  for (const char* says :
       {"not restored from", "net.ipv4.tcp_max_tw_buckets = 0 (", "60999 61000 (a range of 2 ports",
        "net.core.somaxconn = 1 (", "net.ipv4.tcp_syncookies = 0 ("})
    EXPECT_NE(r.err.find(says), std::string::npos) << says << "\n" << r.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_max_tw_buckets"), "4096");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), wide);
  EXPECT_EQ(proc_sys(a_, "net/core/somaxconn"), "4096");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "1");

  // The sysctl.d text: only what --apply writes.
  for (std::string text : {"net.ipv4.tcp_syncookies = 0\n", "kernel.core_pattern = |/bin/sh\n",
                           "net.ipv4.tcp_tw_reuse = 1\n-net.ipv4.tcp_max_tw_buckets = 0\n"}) {
    SCOPED_TRACE(text);
    auto c = nlohmann::json::parse(good);
    c["conf"] = text;
    c["conf_existed"] = true;
    std::ofstream(file) << c.dump();
    auto t = doctor(&a_, "--revert --yes");
    EXPECT_EQ(t.code, 2) << t.err;
    EXPECT_NE(t.err.find("was not written by timewait"), std::string::npos) << t.err;
    EXPECT_EQ(lines(t.err), 1) << t.err;
    EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), wide);
  }

  // a's backup put where b's belongs: it says it is a's, and b never restores it.
  std::ofstream(file) << good;
  const std::string b_file = backup_of(b_);
  fs::create_directories(fs::path(b_file).parent_path());
  fs::copy_file(file, b_file);
  for (std::string args : {"--revert --yes", "--revert", "--apply --yes"}) {
    SCOPED_TRACE(args);
    auto t = doctor(&b_, args);
    EXPECT_EQ(t.code, 2) << t.err;
    EXPECT_NE(t.err.find("holds the values of netns " + a_.name()), std::string::npos) << t.err;
    EXPECT_EQ(lines(t.err), 1) << t.err;
    EXPECT_EQ(proc_sys(b_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  }
  fs::remove(b_file);
  ASSERT_EQ(doctor(&a_, "--revert --yes").code, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
}

// A namespace deleted and made again under the same name is another namespace: its revert says
// the old backup is stale, and its own apply is not blocked by it.
TEST_F(ApplyCli, AGoneNamespacesBackupIsSaidToBeStale) {
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  const std::string file = backup_of(a_);
  ASSERT_EQ(std::system(fmt::format("ip netns del {0} && ip netns add {0}", a_.name()).c_str()), 0);
  a_.set_sysctl("net.ipv4.ip_local_port_range", "40000 40999");
  auto r = doctor(&a_, "--revert --yes");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("nothing to revert"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file + " is the stale backup of netns " + a_.name()), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("it was deleted since"), std::string::npos) << r.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  ASSERT_EQ(doctor(&a_, "--revert --yes").code, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_TRUE(fs::exists(file));  // the stale one is the user's to remove
}

// A fix replaced a harmful value (SYN cookies off): the apply says --revert will not put it
// back, and the revert restores the rest, names it and exits 1; a second apply keeps the first
// one's originals.
TEST_F(ApplyCli, ApplyApplyRevertLosesNothingTimewaitMayWrite) {
  ASSERT_EQ(doctor(&a_, "--apply --yes").code, 0);
  a_.set_sysctl("net.ipv4.tcp_syncookies", "0");  // something else goes wrong meanwhile
  auto second = doctor(&a_, "--apply --yes");
  ASSERT_EQ(second.code, 0) << second.err;
  ASSERT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "1");
  EXPECT_NE(one_line(second.err).find("--revert will not set net.ipv4.tcp_syncookies back to 0"),
            std::string::npos)
      << second.err;
  auto rev = doctor(&a_, "--revert --yes");
  EXPECT_EQ(rev.code, 1) << rev.err;
  EXPECT_NE(rev.out.find("restored net.ipv4.ip_local_port_range = 40000\t40999"), std::string::npos)
      << rev.out;
  EXPECT_NE(rev.err.find("not restored from"), std::string::npos) << rev.err;
  EXPECT_NE(rev.err.find("net.ipv4.tcp_syncookies = 0 (turning SYN cookies off"), std::string::npos)
      << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_EQ(proc_sys(a_, "net/ipv4/tcp_syncookies"), "1");
  EXPECT_FALSE(fs::exists(conf()));
  EXPECT_EQ(doctor(&a_, "--revert --yes").code, 1);  // done: nothing left
}

// The kernel refuses a range that starts below ip_unprivileged_port_start: the proposal starts
// there, so --apply widens the range instead of failing half-way.
TEST_F(ApplyCli, TheProposedRangeIsOneTheKernelAccepts) {
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

// Runs at once take turns on the backup: whichever writes first keeps the original, and the
// revert restores it.
TEST_F(ApplyCli, ConcurrentAppliesKeepTheOriginals) {
  std::vector<std::thread> runs;
  std::vector<int> codes(4, -1);
  for (size_t i = 0; i < codes.size(); ++i)
    runs.emplace_back([&, i] { codes[i] = doctor(&a_, "--apply --yes").code; });
  for (auto& t : runs) t.join();
  for (int c : codes) EXPECT_EQ(c, 0);
  EXPECT_NE(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  auto rev = doctor(&a_, "--revert --yes");
  ASSERT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_EQ(doctor(&a_, "--revert --yes").code, 1);  // twice: nothing left
}

// A FIFO at the backup's path: --apply and --revert refuse it in one line, before anything is
// written; --revert used to open it and wait for a writer for ever.
TEST_F(ApplyCli, ApplyAndRevertRefuseAFifoAtTheBackupPath) {
  const std::string file = backup_of(a_);
  fs::create_directories(fs::path(file).parent_path());
  ASSERT_EQ(mkfifo(file.c_str(), 0644), 0);
  for (std::string args : {"--apply --yes", "--revert --yes", "--revert"}) {
    SCOPED_TRACE(args);
    auto r = doctor(&a_, args);
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("is a named pipe (FIFO)"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");  // nothing half-done
  }
}

// A namespace's values never go to /etc/sysctl.d (read at boot for the host's namespace): a FIFO
// there does not matter to it, and the file is neither created nor opened.
TEST_F(ApplyCli, ANamespaceApplyNeverTouchesTheBootFile) {
  fs::create_directories(root_ + "/etc/sysctl.d");
  ASSERT_EQ(mkfifo(conf().c_str(), 0644), 0);
  auto r = doctor(&a_, "--apply --yes");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  struct stat st {};
  ASSERT_EQ(lstat(conf().c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  auto rev = doctor(&a_, "--revert --yes");
  EXPECT_EQ(rev.code, 0) << rev.out << rev.err;
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  ASSERT_EQ(lstat(conf().c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// SIGKILL in the middle of a real --apply (strace delivers it on entry to a system call): while
// the backup is being written (fsync) there is no named temporary file at all (O_TMPFILE);
// between its link and its rename one is left, and the next run removes it. Nothing is set
// until the backup is in place.
TEST_F(ApplyCli, AKilledApplyLeavesNoTemporaryFiles) {
  ASSERT_EQ(std::system("command -v strace >/dev/null"), 0)
      << "strace is needed (scripts/install-deps.sh installs it)";
  const std::string args =
      fmt::format("doctor --netns {} --apply --yes --root {}", a_.name(), root_);
  auto kill_at = [](const std::string& calls) {
    return "strace -f -qq -o /dev/null -e inject=" + calls + ":signal=KILL:when=1";
  };

  auto at_fsync = run_with(kill_at("fsync,fdatasync"), args);
  EXPECT_EQ(at_fsync.code, 128 + SIGKILL) << at_fsync.out << at_fsync.err;
  EXPECT_EQ(temporaries(root_), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(backup_of(a_)));
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");

  auto at_rename = run_with(kill_at("rename,renameat,renameat2"), args);
  EXPECT_EQ(at_rename.code, 128 + SIGKILL) << at_rename.out << at_rename.err;
  auto left = temporaries(root_);
  ASSERT_EQ(left.size(), 1u);  // the kill really came between link and rename
  EXPECT_EQ(fs::path(left[0]).parent_path(), fs::path(backup_of(a_)).parent_path());
  EXPECT_FALSE(fs::exists(backup_of(a_)));
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");

  auto next = doctor(&a_, "--apply --yes");
  ASSERT_EQ(next.code, 0) << next.out << next.err;
  EXPECT_EQ(temporaries(root_), std::vector<std::string>{});
  ASSERT_EQ(doctor(&a_, "--revert --yes").code, 0);
  EXPECT_EQ(proc_sys(a_, "net/ipv4/ip_local_port_range"), "40000\t40999");
  EXPECT_EQ(temporaries(root_), std::vector<std::string>{});
}

// An empty value means nothing: every string option says so (exit 2, one line) instead of taking
// it as "not given".
TEST(EmptyValues, AreUsageErrors) {
  testing::expect_usage_errors({
      {"doctor --apply --root ''", "--root: an empty value means nothing here"},
      {"doctor --netns ''", "--netns: an empty value means nothing here"},
      {"doctor --revert --netns ''", "--netns: an empty value"},
      {"census --save ''", "--save: an empty value"},
      {"census --netns ''", "--netns: an empty value"},
      {"census --from ''", "--from: an empty value"},
      {"doctor --from ''", "--from: an empty value"},
      {"doctor --port-range ''", "--port-range: an empty value"},
      {"watch --netns ''", "--netns: an empty value"},
      {"trace --comm ''", "--comm: an empty value"},
      {"exporter --listen ''", "--listen: an empty value"},
      {"plan --input ''", "--input: an empty value"},
      {"explain ''", "an empty value"},
      {"census --state ''", "--state: an empty value"},
  });
  // Where "" means something it stays allowed: no reserved ports, as the kernel prints none.
  auto none = run_tool("plan --rate 10 --reserved-ports ''");
  EXPECT_EQ(none.code, 0) << none.err;
}

}  // namespace
}  // namespace tw
