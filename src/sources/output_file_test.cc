// SPDX-License-Identifier: Apache-2.0
#include "sources/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;
const auto slurp = testing::read_text;

TEST(OutputFile, RefusesDeviceNodesFifosAndDirectories) {
  TempDir d;
  // A character device like /dev/full (1, 7), made here: renaming over it would replace it.
  ASSERT_EQ(mknod((d / "full").c_str(), S_IFCHR | 0644, makedev(1, 7)), 0);
  ASSERT_EQ(mkfifo((d / "fifo").c_str(), 0644), 0);
  fs::create_directory(d / "dir");
  for (auto [name, kind] :
       {std::pair{"full", "a character device"}, std::pair{"fifo", "a named pipe (FIFO)"},
        std::pair{"dir", "a directory"}}) {
    SCOPED_TRACE(name);
    auto w = write_file_atomically(d / name, "data\n");
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().find(kind), std::string::npos) << w.error();
    EXPECT_EQ(w.error().find('\n'), std::string::npos);
  }
  struct stat st;
  ASSERT_EQ(lstat((d / "full").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));  // still the device
  ASSERT_EQ(lstat((d / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(d.names(), (std::vector<std::string>{"dir", "fifo", "full"}));
}

TEST(OutputFile, ReplacesARegularFileAtomicallyKeepingItsMode) {
  TempDir d;
  std::ofstream(d / "f") << "old\n";
  ASSERT_EQ(chmod((d / "f").c_str(), 0600), 0);
  {
    auto out = OutputFile::open(d / "f");
    ASSERT_TRUE(out) << out.error();
    fputs("new\n", (*out)->stream());
    EXPECT_EQ(slurp(d / "f"), "old\n");  // not visible before commit
    ASSERT_TRUE((*out)->commit());
  }
  EXPECT_EQ(slurp(d / "f"), "new\n");
  struct stat st;
  ASSERT_EQ(stat((d / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(d.names(), std::vector<std::string>{"f"});
}

TEST(OutputFile, WithoutCommitNothingChanges) {
  TempDir d;
  std::ofstream(d / "f") << "old\n";
  {
    auto out = OutputFile::open(d / "f");
    ASSERT_TRUE(out);
    fputs("half", (*out)->stream());
  }
  EXPECT_EQ(slurp(d / "f"), "old\n");
  EXPECT_EQ(d.names(), std::vector<std::string>{"f"});
}

TEST(OutputFile, WritesThroughSymlinksToTheirTarget) {
  TempDir d;
  std::ofstream(d / "target") << "old\n";
  fs::create_symlink("target", d / "link");
  fs::create_symlink(d / "new-file", d / "dangling");
  ASSERT_TRUE(write_file_atomically(d / "link", "via link\n"));
  EXPECT_TRUE(fs::is_symlink(d / "link"));  // the link stays a link
  EXPECT_EQ(slurp(d / "target"), "via link\n");
  ASSERT_TRUE(write_file_atomically(d / "dangling", "created\n"));
  EXPECT_TRUE(fs::is_symlink(d / "dangling"));
  EXPECT_EQ(slurp(d / "new-file"), "created\n");
  // A symlink to a device is refused like the device, and names both.
  ASSERT_EQ(mknod((d / "null").c_str(), S_IFCHR | 0644, makedev(1, 3)), 0);
  fs::create_symlink("null", d / "to-dev");
  auto w = write_file_atomically(d / "to-dev", "x");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("the target of the symlink"), std::string::npos) << w.error();
  EXPECT_EQ(d.names(),
            (std::vector<std::string>{"dangling", "link", "new-file", "null", "target", "to-dev"}));
}

TEST(OutputFile, MissingDirectoryIsAnErrorUnlessAskedToCreate) {
  TempDir d;
  auto w = write_file_atomically(d / "no/such/f", "x");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("create it first"), std::string::npos) << w.error();
  ASSERT_TRUE(check_output_path(d / "a/b/f", true));
  EXPECT_FALSE(fs::exists(d / "a"));  // checking creates nothing
  ASSERT_TRUE(write_file_atomically(d / "a/b/f", "x", true));
  EXPECT_EQ(slurp(d / "a/b/f"), "x");
}

TEST(OutputFile, DashIsStandardOutput) {
  auto t = check_output_path("-");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->standard_output);
  auto out = OutputFile::open("-");
  ASSERT_TRUE(out);
  EXPECT_FALSE(fs::exists("-"));
}

// /dev/stdout is a link to /proc/self/fd/1, whose text ("pipe:[123]") is no path: what it opens
// is a pipe, refused as a FIFO (not "cannot create a temporary file beside .../pipe:[123]").
TEST(OutputFile, AProcFdLinkToAPipeIsRefusedAsAFifo) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto t = check_output_path(fmt::format("/proc/self/fd/{}", p[1]));
  close(p[0]);
  close(p[1]);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("is a named pipe (FIFO)"), std::string::npos) << t.error();
}

// Standard output as a file: nothing reaches it unless committed, so a snapshot started over
// (an interrupted dump) or abandoned never prints a half of itself.
TEST(OutputFile, StandardOutputGetsOnlyCommittedText) {
  TempDir d;
  fflush(stdout);
  const int saved = dup(1);
  const int fd = ::open((d / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(dup2(fd, 1), 1);
  {
    auto first = OutputFile::open("-");
    ASSERT_TRUE(first);
    fputs("{\"half\":", (*first)->stream());
  }  // abandoned
  {
    auto second = OutputFile::open("-");
    ASSERT_TRUE(second);
    fputs("{\"whole\":1}\n", (*second)->stream());
    EXPECT_TRUE((*second)->commit());
  }
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  close(fd);
  EXPECT_EQ(slurp(d / "out"), "{\"whole\":1}\n");
}

}  // namespace
}  // namespace tw
