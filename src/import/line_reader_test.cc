// SPDX-License-Identifier: Apache-2.0
#include "import/line_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace tw {
namespace {

// A LineReader over `bytes` (through a temporary file, as a dump would be read).
std::vector<std::string> read_all(const std::string& bytes, std::vector<bool>* cut = nullptr,
                                  std::string* error = nullptr) {
  testing::TempDir dir("twimp-reader");
  int fd = open(dir.write("dump", bytes).c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  LineReader r(fd, "test");
  std::vector<std::string> out;
  if (auto st = r.start(); !st) {
    if (error) *error = st.error();
    return out;
  }
  std::string line;
  bool c;
  while (r.next(&line, &c)) {
    out.push_back(line);
    if (cut) cut->push_back(c);
  }
  return out;
}

TEST(LineReader, LineEnds) {
  EXPECT_EQ(read_all("a\r\nb\r\n"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(read_all("a\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(read_all("a\n\nb\n"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(read_all("").empty());
}

TEST(LineReader, Encodings) {
  EXPECT_EQ(read_all("\xEF\xBB\xBFState\n"), (std::vector<std::string>{"State"}));
  std::string le = std::string("\xFF\xFE") + std::string("T\0C\0P\0\r\0\n\0x\0", 12);
  EXPECT_EQ(read_all(le), (std::vector<std::string>{"TCP", "x"}));
  std::string be = std::string("\xFE\xFF") + std::string("\0T\0C\0P\0\n", 8);
  EXPECT_EQ(read_all(be), (std::vector<std::string>{"TCP"}));
  std::string no_bom("A\0c\0t\0i\0v\0e\0\r\0\n\0", 16);
  EXPECT_EQ(read_all(no_bom), (std::vector<std::string>{"Active"}));
  std::string umlaut("\xC4\0\n\0", 4);  // U+00C4 in UTF-16LE
  EXPECT_EQ(read_all(std::string("\xFF\xFE") + umlaut), (std::vector<std::string>{"\xC3\x84"}));
}

TEST(LineReader, BinaryIsRefused) {
  std::string error;
  EXPECT_TRUE(read_all(std::string("\x1f\x8b\x08\0\0\0\0\0", 8), nullptr, &error).empty());
  EXPECT_NE(error.find("looks binary"), std::string::npos) << error;
}

TEST(LineReader, LinesAcrossBlocksAndLongLines) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";  // > 64 KiB
  auto lines = read_all(big);
  ASSERT_EQ(lines.size(), 20000u);
  EXPECT_EQ(lines[12345], "line 12345");
  std::string huge = "first\n" + std::string(LineReader::kMaxLine + 5000, 'x') + "\nlast\n";
  std::vector<bool> cut;
  lines = read_all(huge, &cut);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(cut[1]);
  EXPECT_EQ(lines[1].size(), LineReader::kMaxLine);
  EXPECT_EQ(lines[2], "last");
  EXPECT_FALSE(cut[2]);
}

// cmd.exe writes a redirected netstat in the console's OEM code page: such bytes come out as
// U+FFFD, valid UTF-8 stays as it is, so that notes and JSON can hold every line.
TEST(LineReader, LinesAreValidUtf8) {
  auto lines = read_all(
      "  TCP    0.0.0.0:135   0.0.0.0:0   ABH\x99REN   4\r\nABH\xC3\x96REN \xE2\x80\xA6\n"
      "cut \xE2\x80\n\xC0\xAF\xF8\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "  TCP    0.0.0.0:135   0.0.0.0:0   ABH\xEF\xBF\xBDREN   4");
  EXPECT_EQ(lines[1], "ABH\xC3\x96REN \xE2\x80\xA6");
  EXPECT_EQ(lines[2], "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(lines[3], "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

// `Out-File -Encoding UTF32`: a refusal that says what the file is and how to convert it, not
// "looks binary" (its zero bytes made it look so).
TEST(LineReader, Utf32IsRefusedByName) {
  for (std::string bom : {std::string("\xFF\xFE\0\0", 4), std::string("\0\0\xFE\xFF", 4)}) {
    std::string text = bom;
    for (char c : std::string("Active Connections\r\n")) {
      std::string unit = bom[0] == '\xFF' ? std::string{c, 0, 0, 0} : std::string{0, 0, 0, c};
      text += unit;
    }
    std::string error;
    EXPECT_TRUE(read_all(text, nullptr, &error).empty());
    EXPECT_NE(error.find("test is UTF-32 text"), std::string::npos) << error;
    EXPECT_NE(error.find("iconv -f UTF-32 -t UTF-8 test"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tw
