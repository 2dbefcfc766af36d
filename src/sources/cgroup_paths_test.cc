// SPDX-License-Identifier: Apache-2.0
// cgroup v2 ids to paths on the real hierarchy: the mount found in mountinfo, the id of a cgroup
// made here equal to its directory's inode, found again by a walk, and a new cgroup found by the
// rescan that a miss starts.
#include "sources/cgroup_paths.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace tw {
namespace {

class Cgroup {
 public:
  explicit Cgroup(std::string path) : path_(std::move(path)) {
    ok_ = mkdir(path_.c_str(), 0755) == 0;
  }
  ~Cgroup() {
    if (ok_) rmdir(path_.c_str());
  }
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool ok_ = false;
};

TEST(CgroupPaths, IdsAreTheKernfsIdsAndMapBackToPaths) {
  std::string mount = cgroup2_mount();
  ASSERT_FALSE(mount.empty()) << "no cgroup2 mount in /proc/self/mountinfo";
  EXPECT_TRUE(std::filesystem::exists(mount + "/cgroup.controllers")) << mount;
  std::string rel = fmt::format("/twtest-cgpaths-{}", getpid());
  Cgroup top(mount + rel);
  ASSERT_TRUE(top.ok());
  auto id = cgroup_id_of(mount + rel);
  ASSERT_TRUE(id);
  struct stat st;
  ASSERT_EQ(stat((mount + rel).c_str(), &st), 0);
  EXPECT_EQ(*id, st.st_ino) << "the handle and the inode name the same kernfs node";

  CgroupPaths paths(mount, std::chrono::milliseconds(0));
  EXPECT_EQ(paths.path_of(*id), rel);
  EXPECT_EQ(paths.path_of(1), "/") << "the root cgroup's id is 1";
  // A cgroup made after the first walk is found by the next one.
  Cgroup child(mount + rel + "/app");
  ASSERT_TRUE(child.ok());
  auto child_id = cgroup_id_of(mount + rel + "/app");
  ASSERT_TRUE(child_id);
  size_t scans = paths.scans();
  EXPECT_EQ(paths.path_of(*child_id), rel + "/app");
  EXPECT_EQ(paths.scans(), scans + 1);
  auto under = paths.ids_under(rel, 10);
  EXPECT_EQ(under.size(), 2u);
  EXPECT_FALSE(paths.path_of(0));
}

TEST(CgroupPaths, MissesRescanAtMostOncePerPeriod) {
  CgroupPaths paths(cgroup2_mount(), std::chrono::hours(1));
  EXPECT_FALSE(paths.path_of(~0ull));
  EXPECT_FALSE(paths.path_of(~0ull - 1));
  EXPECT_EQ(paths.scans(), 1u);
  EXPECT_EQ(cgroup2_mount("/nonexistent"), "");
  EXPECT_FALSE(CgroupPaths("").path_of(1));
}

}  // namespace
}  // namespace tw
