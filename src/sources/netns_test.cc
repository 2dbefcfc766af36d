// SPDX-License-Identifier: Apache-2.0
#include "sources/netns.h"

#include <gtest/gtest.h>
#include <sched.h>
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
