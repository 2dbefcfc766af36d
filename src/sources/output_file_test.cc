// SPDX-License-Identifier: Apache-2.0
#include "sources/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/unique_fd.h"
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

// /proc/self/fd/N (what /dev/fd/N and /dev/stdout lead to) is a descriptor already open: its
// stream is written, whatever it is (here a pipe), never the path its link text spells.
TEST(OutputFile, AProcFdLinkIsWrittenAsItsStream) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  os::UniqueFd read_end(p[0]), write_end(p[1]);
  const std::string path = fmt::format("/proc/self/fd/{}", p[1]);
  auto t = check_output_path(path);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->stream_fd, p[1]);
  EXPECT_FALSE(t->standard_output);
  ASSERT_TRUE(write_file_atomically(path, "through the pipe\n"));
  write_end.reset();
  char buf[64] = {};
  EXPECT_EQ(read(p[0], buf, sizeof buf - 1), 17);
  read_end.reset();
  EXPECT_STREQ(buf, "through the pipe\n");
  // A descriptor that is not open is an error naming it.
  auto closed = check_output_path("/proc/self/fd/987");
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.error().find("descriptor 987 is not open"), std::string::npos) << closed.error();
  // One of this process's own (close-on-exec) descriptors is not a place it was given to write.
  os::UniqueFd own(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto mine = check_output_path(fmt::format("/dev/fd/{}", own.get()));
  own.reset();
  ASSERT_FALSE(mine);
  EXPECT_NE(mine.error().find("is timewait's own"), std::string::npos) << mine.error();
  // Another process's descriptors are not this one's to write.
  auto other = check_output_path("/proc/1/fd/1");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().find("another process (pid 1)"), std::string::npos) << other.error();
}

// /dev/stdout redirected to a file: the file behind the descriptor is written through it (same
// inode, the text after what was there), not replaced by a new file of that name.
TEST(OutputFile, DevStdoutToAFileWritesTheStreamNotTheFile) {
  TempDir d;
  fflush(stdout);
  os::UniqueFd saved(dup(1));
  os::UniqueFd fd(::open((d / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  ASSERT_EQ(dup2(fd.get(), 1), 1);
  struct stat before;
  ASSERT_EQ(stat((d / "out").c_str(), &before), 0);
  fputs("table\n", stdout);
  auto t = check_output_path("/dev/stdout");
  const bool checked = t && t->standard_output && t->stream_fd == 1;
  const auto written = write_file_atomically("/dev/stdout", "snapshot\n");
  fflush(stdout);
  dup2(saved.get(), 1);
  saved.reset();
  fd.reset();
  EXPECT_TRUE(checked);
  ASSERT_TRUE(written) << written.error();
  struct stat after;
  ASSERT_EQ(stat((d / "out").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(slurp(d / "out"), "table\nsnapshot\n");
  EXPECT_EQ(d.names(), std::vector<std::string>{"out"});
}

// fs.protected_symlinks, as the kernel applies it: in a sticky world-writable directory a link
// owned by another user (than the caller and the directory's owner) is not followed.
TEST(OutputFile, RefusesAnotherUsersSymlinkInAStickyWorldWritableDirectory) {
  TempDir d;
  const std::string shared = d / "tmp";
  ASSERT_EQ(mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(chmod(shared.c_str(), 01777), 0);
  std::ofstream(d / "private") << "root's secret\n";
  ASSERT_EQ(chmod((d / "private").c_str(), 0600), 0);
  fs::create_symlink(d / "private", shared + "/planted");
  ASSERT_EQ(lchown((shared + "/planted").c_str(), 65534, 65534), 0);  // nobody's link
  auto w = write_file_atomically(shared + "/planted", "attacker wins\n");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("owned by uid 65534"), std::string::npos) << w.error();
  EXPECT_NE(w.error().find("protected_symlinks"), std::string::npos) << w.error();
  EXPECT_EQ(slurp(d / "private"), "root's secret\n");
  EXPECT_TRUE(fs::is_symlink(shared + "/planted"));
  // The caller's own link there is followed, as the kernel would.
  fs::create_symlink(d / "private", shared + "/mine");
  ASSERT_TRUE(write_file_atomically(shared + "/mine", "mine\n"));
  EXPECT_EQ(slurp(d / "private"), "mine\n");
  // So is a link owned by the directory's owner (the directory is made nobody's here).
  ASSERT_EQ(chown(shared.c_str(), 65534, 65534), 0);
  ASSERT_TRUE(write_file_atomically(shared + "/planted", "dir owner's link\n"));
  EXPECT_EQ(slurp(d / "private"), "dir owner's link\n");
  // Not sticky, or not world-writable: no such rule (the directory's permissions guard it).
  ASSERT_EQ(chown(shared.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(shared.c_str(), 0755), 0);
  EXPECT_TRUE(write_file_atomically(shared + "/planted", "x\n"));
  EXPECT_EQ(d.names(), (std::vector<std::string>{"private", "tmp"}));  // no temporary file left
  std::vector<std::string> in_shared;
  for (auto& e : fs::directory_iterator(shared)) in_shared.push_back(e.path().filename());
  std::sort(in_shared.begin(), in_shared.end());
  EXPECT_EQ(in_shared, (std::vector<std::string>{"mine", "planted"}));
}

// A new file gets the mode asked for (snapshots 0600), less the umask; a replaced file of the
// caller keeps its mode; another user's file lends the replacement none of its mode.
TEST(OutputFile, ModeOfNewAndReplacedFiles) {
  TempDir d;
  auto mode_of = [&](const std::string& name) {
    struct stat st;
    return stat((d / name).c_str(), &st) == 0 ? st.st_mode & 07777 : 07777u;
  };
  auto write = [&](const std::string& name, mode_t mode) {
    auto out = OutputFile::open(d / name, false, mode);
    ASSERT_TRUE(out) << out.error();
    fputs("x", (*out)->stream());
    ASSERT_TRUE((*out)->commit());
  };
  write("private", 0600);
  EXPECT_EQ(mode_of("private"), 0600u);
  const mode_t old = umask(027);
  write("masked", 0666);
  umask(old);
  EXPECT_EQ(mode_of("masked"), 0640u);
  std::ofstream(d / "kept") << "old";
  ASSERT_EQ(chmod((d / "kept").c_str(), 0640), 0);
  write("kept", 0600);
  EXPECT_EQ(mode_of("kept"), 0640u);
  std::ofstream(d / "theirs") << "old";
  ASSERT_EQ(chmod((d / "theirs").c_str(), 0666), 0);
  ASSERT_EQ(chown((d / "theirs").c_str(), 65534, 65534), 0);
  write("theirs", 0600);
  EXPECT_EQ(mode_of("theirs"), 0600u);
  struct stat st;
  ASSERT_EQ(stat((d / "theirs").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, geteuid());
}

// Standard output as a file: nothing reaches it unless committed, so a snapshot started over
// (an interrupted dump) or abandoned never prints a half of itself.
TEST(OutputFile, StandardOutputGetsOnlyCommittedText) {
  TempDir d;
  fflush(stdout);
  os::UniqueFd saved(dup(1));
  os::UniqueFd fd(::open((d / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  ASSERT_EQ(dup2(fd.get(), 1), 1);
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
  dup2(saved.get(), 1);
  saved.reset();
  fd.reset();
  EXPECT_EQ(slurp(d / "out"), "{\"whole\":1}\n");
}

}  // namespace
}  // namespace tw

namespace tw {
namespace {

// The file being written has no name until commit (O_TMPFILE): a run killed while writing leaves
// nothing in the directory.
TEST(OutputFile, NoNamedTemporaryWhileWriting) {
  testing::TempDir d;
  auto out = OutputFile::open(d / "x");
  ASSERT_TRUE(out) << out.error();
  fputs("text\n", (*out)->stream());
  fflush((*out)->stream());
  EXPECT_TRUE(d.names().empty());
  ASSERT_TRUE((*out)->commit());
  EXPECT_EQ(d.names(), std::vector<std::string>{"x"});
  EXPECT_EQ(testing::read_text(d / "x"), "text\n");
}

// What a kill between link and rename leaves is removed: only our exact name, only a dead
// writer's, only the caller's own files.
TEST(OutputFile, StaleTemporariesOfDeadWritersAreRemoved) {
  testing::TempDir d;
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  const std::string dead = std::to_string(child), live = std::to_string(getppid());
  const std::vector<std::string> kept = {".x.tmp-" + live + "-0", ".x.tmp-" + dead + "-0.bak",
                                         ".y.tmp-" + dead + "-0", ".x.tmp-" + dead,
                                         "x.tmp-" + dead + "-0",  ".x.tmp--0"};
  for (const std::string& n : kept) std::ofstream(d / n) << "keep";
  std::ofstream(d / (".x.tmp-" + dead + "-0")) << "stale";
  std::ofstream(d / (".x.tmp-" + dead + "-12")) << "stale";
  std::vector<std::string> expected = kept;
  if (geteuid() == 0) {  // another user's file of that name is not ours to remove
    const std::string theirs = ".x.tmp-" + dead + "-3";
    std::ofstream(d / theirs) << "theirs";
    ASSERT_EQ(chown((d / theirs).c_str(), 65534, 65534), 0);
    expected.push_back(theirs);
  }
  std::sort(expected.begin(), expected.end());
  remove_stale_temporaries(d / "x");
  EXPECT_EQ(d.names(), expected);
}

}  // namespace
}  // namespace tw
