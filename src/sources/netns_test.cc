// SPDX-License-Identifier: Apache-2.0
#include "sources/netns.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

// "host" is PID 1's namespace, compared by identity (a hard link stands for the same namespace
// here), never a constant; the name comes from /run/netns.
TEST(NetnsIdentity, HostIsPid1sNamespace) {
  testing::TempDir proc, run;
  fs::create_directories(proc / "thread-self/ns");
  fs::create_directories(proc / "1/ns");
  std::ofstream(proc / "thread-self/ns/net") << "";
  fs::create_hard_link(proc / "thread-self/ns/net", proc / "1/ns/net");
  auto id = netns_identity_of_self(proc.path, run.path);
  ASSERT_TRUE(id) << id.error();
  EXPECT_TRUE(id->host);
  EXPECT_EQ(id->inode, id->host_inode);
  EXPECT_EQ(id->name, "");

  fs::remove(proc / "1/ns/net");
  std::ofstream(proc / "1/ns/net") << "";  // another namespace
  fs::create_hard_link(proc / "thread-self/ns/net", run / "blue");
  std::ofstream(run / "red") << "";
  id = netns_identity_of_self(proc.path, run.path);
  ASSERT_TRUE(id) << id.error();
  EXPECT_FALSE(id->host);
  EXPECT_NE(id->inode, id->host_inode);
  EXPECT_EQ(id->name, "blue");

  fs::remove(proc / "1/ns/net");  // and no kthreadd to ask instead
  id = netns_identity_of_self(proc.path, run.path);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().find("cannot tell whether this is the host's network namespace"),
            std::string::npos)
      << id.error();
}

// The host's inode alone, under a procfs that has no entry for the caller (the host's /proc seen
// from a container): PID 1's, else nothing to guess from.
TEST(HostNetnsInode, Pid1sWithoutTheCallersEntry) {
  testing::TempDir proc;
  fs::create_directories(proc / "1/ns");
  std::ofstream(proc / "1/ns/net") << "";
  auto ino = host_netns_inode(proc.path);
  ASSERT_TRUE(ino) << ino.error();
  struct stat st;
  ASSERT_EQ(stat((proc / "1/ns/net").c_str(), &st), 0);
  EXPECT_EQ(*ino, st.st_ino);
  fs::remove(proc / "1/ns/net");
  ino = host_netns_inode(proc.path);
  ASSERT_FALSE(ino);
  EXPECT_NE(ino.error().find("/1/ns/net"), std::string::npos) << ino.error();
  // The real /proc: the namespace netns_identity_of_self calls the host's.
  auto id = netns_identity_of_self();
  auto real = host_netns_inode();
  ASSERT_TRUE(id && real);
  EXPECT_EQ(*real, id->host_inode);
}

// The real one: this test runs in the host's namespace (as root), a thread that unshares its own
// is not the host.
TEST(NetnsIdentity, ANewNamespaceIsNotTheHost) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (PID 1's namespace, unshare)";
  auto here = netns_identity_of_self();
  ASSERT_TRUE(here) << here.error();
  EXPECT_TRUE(here->host);
  Result<NetnsIdentity> there = fail("not run");
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) == 0) there = netns_identity_of_self();
  });
  t.join();
  ASSERT_TRUE(there) << there.error();
  EXPECT_FALSE(there->host);
  EXPECT_NE(there->inode, here->inode);
  EXPECT_EQ(there->host_inode, here->inode);
}

}  // namespace
}  // namespace tw
