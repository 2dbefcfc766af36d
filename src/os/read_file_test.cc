// SPDX-License-Identifier: Apache-2.0
#include "os/read_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tw::os {
namespace {

class ReadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tw-read-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string dir_;
};

TEST_F(ReadFile, ReadsEveryByte) {
  std::string text(200000, 'x');  // more than one buffer
  text[0] = '\0';
  text[150000] = '\n';
  auto r = read_file(write("a", text));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, text);
  auto empty = read_file(write("e", ""));
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

TEST_F(ReadFile, ReadsProcFilesThatStatCallEmpty) {
  auto r = read_file("/proc/self/status");
  ASSERT_TRUE(r) << r.error();
  EXPECT_NE(r->find("Pid:"), std::string::npos);
}

TEST_F(ReadFile, RefusesMoreThanTheBound) {
  const std::string p = write("big", std::string(1001, 'y'));
  auto r = read_file(p, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), p + " is larger than 1000 bytes");
  EXPECT_EQ(errno, EFBIG);
  auto exact = read_file(p, 1001);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->size(), 1001u);
  // A file with no end is cut off at the bound, not read until memory runs out.
  auto endless = read_file("/dev/zero", 100000);
  ASSERT_FALSE(endless);
  EXPECT_EQ(endless.error(), "/dev/zero is larger than 100000 bytes");
}

TEST_F(ReadFile, SaysWhatWentWrong) {
  auto missing = read_file(dir_ + "/none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(missing.error(), "cannot read " + dir_ + "/none: No such file or directory");
  auto dir = read_file(dir_);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error(), "cannot read " + dir_ + ": Is a directory");
}

}  // namespace
}  // namespace tw::os
