// SPDX-License-Identifier: Apache-2.0
#include "sources/file_trust.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uid_t kNobody = 65534;

// Root's file in root's directories (a mkdtemp directory in sticky /tmp) is trusted; anything
// another user owns or could write, the file or a directory above it, is not.
TEST(FileTrust, OnlyWhatRootAloneCouldWriteIsTrusted) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: files are made for another owner";
  TempDir d;
  const std::string dir = d / "var/lib/timewait/backups";
  ASSERT_TRUE(make_private_dir(dir));
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  const std::string file = dir + "/host.json";
  EXPECT_TRUE(check_root_only(file, "the backup"));  // missing: the directories are fine
  std::ofstream(file) << "{}";
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  EXPECT_TRUE(check_root_only(file, "the backup"));

  auto refused = [&](const std::string& says) {
    auto r = check_root_only(file, "the backup");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find(says), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  };
  ASSERT_EQ(chown(file.c_str(), kNobody, kNobody), 0);
  refused("the backup " + file + " is owned by");
  ASSERT_EQ(chown(file.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(file.c_str(), 0664), 0);
  refused("with mode 0664");
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  for (const std::string& above : {dir, d / "var/lib", d.path}) {
    SCOPED_TRACE(above);
    ASSERT_EQ(stat(above.c_str(), &st), 0);
    ASSERT_EQ(chmod(above.c_str(), 0777), 0);
    refused("the directory above the backup " + above);
    ASSERT_EQ(chmod(above.c_str(), 0775), 0);
    refused("with mode 0775");
    // Sticky: fine above the file's own directory (/tmp), never for the directory itself.
    ASSERT_EQ(chmod(above.c_str(), 01777), 0);
    if (above == dir)
      refused("with mode 1777");
    else
      EXPECT_TRUE(check_root_only(file, "the backup"));
    ASSERT_EQ(chmod(above.c_str(), st.st_mode & 07777), 0);
    ASSERT_EQ(chown(above.c_str(), kNobody, 0), 0);
    refused("is owned by");
    ASSERT_EQ(chown(above.c_str(), 0, 0), 0);
  }
  EXPECT_TRUE(check_root_only(file, "the backup"));
  // A symlink is not a file timewait wrote, even to a good one.
  fs::rename(file, dir + "/real.json");
  fs::create_symlink(dir + "/real.json", file);
  refused("is a symbolic link");
}

}  // namespace
}  // namespace tw
