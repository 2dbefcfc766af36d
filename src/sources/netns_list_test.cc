// SPDX-License-Identifier: Apache-2.0
// Namespace discovery: one entry per namespace inode (hard links stand in for bind mounts and
// processes sharing a namespace), names before pids; and on the real kernel, a namespace made by
// `ip netns add` and one held only by an `unshare -n` process are both found, once each.
#include "sources/netns_list.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "sources/netns.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

void touch(const std::string& path, const std::string& text = "") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(NetnsList, DeduplicatesByInodeAndOrdersNamesFirst) {
  testing::TempDir t;
  touch(t / "self");
  touch(t / "run/b");
  touch(t / "run/a");
  fs::create_hard_link(t / "run/a", t / "run/a-again");  // a second name, same namespace
  fs::create_directories(t / "proc/7/ns");
  fs::create_directories(t / "proc/12/ns");
  fs::create_directories(t / "proc/30/ns");
  fs::create_hard_link(t / "self", t / "proc/7/ns/net");  // the caller's namespace
  touch(t / "proc/12/ns/net");                            // a container's
  touch(t / "proc/12/comm", "nginx\n");
  fs::create_hard_link(t / "proc/12/ns/net", t / "proc/30/ns/net");  // same container
  touch(t / "proc/self");                                            // not a pid
  auto r = list_network_namespaces(t / "run", t / "proc", t / "self");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].self);
  EXPECT_EQ((*r)[1].name, "a");
  EXPECT_EQ((*r)[2].name, "b");
  EXPECT_EQ((*r)[3].pid, 12);
  EXPECT_EQ((*r)[3].comm, "nginx");
  EXPECT_EQ((*r)[3].name, "");
}

TEST(NetnsList, MissingRunNetnsIsNoNamesButMissingProcFails) {
  testing::TempDir t;
  touch(t / "self");
  fs::create_directories(t / "proc");
  auto r = list_network_namespaces(t / "none", t / "proc", t / "self");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->size(), 1u);
  auto bad = list_network_namespaces(t / "none", t / "no-proc", t / "self");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("no-proc"), std::string::npos) << bad.error();
}

TEST(NetnsList, FindsNamedAndProcessOnlyNamespacesOnce) {
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns named;
  // A process in a namespace of its own that no name points at (a container's).
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    sleep(30);  // bounded: the test kills it
    _exit(0);
  }
  uint64_t child_ino = 0, own = 0;
  for (int i = 0; i < 200; ++i) {  // until the child has unshared (bounded: 2 s)
    struct stat a, b;
    if (stat(fmt::format("/proc/{}/ns/net", child).c_str(), &a) == 0 &&
        stat("/proc/self/ns/net", &b) == 0 && a.st_ino != b.st_ino) {
      child_ino = a.st_ino;
      own = b.st_ino;
      break;
    }
    usleep(10000);
  }
  auto r = list_network_namespaces();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_NE(child_ino, 0u) << "the child did not enter a namespace of its own";
  ASSERT_TRUE(r) << r.error();
  auto named_ino = netns_inode_by_name(named.name());
  ASSERT_TRUE(named_ino);
  int self = 0, by_name = 0, by_pid = 0;
  std::set<uint64_t> inodes;
  for (const auto& n : *r) {
    EXPECT_TRUE(inodes.insert(n.inode).second) << "inode listed twice: " << n.inode;
    if (n.self) self += n.inode == own;
    if (n.name == named.name()) by_name += n.inode == *named_ino;
    if (n.pid == child) by_pid += n.inode == child_ino;
  }
  EXPECT_EQ(self, 1);
  EXPECT_EQ(by_name, 1);
  EXPECT_EQ(by_pid, 1);
}

}  // namespace
}  // namespace tw
