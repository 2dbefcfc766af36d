// SPDX-License-Identifier: Apache-2.0
#include "model/safe_text.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(Printable, EscapesControlsKeepsTextAndLineBreaks) {
  // OSC 0 (window title), CSI 2J (clear screen), BEL: all shown, none acted on.
  EXPECT_EQ(printable("web\x1b]0;owned\x07\x1b[2J"), "web\\x1b]0;owned\\x07\\x1b[2J");
  EXPECT_EQ(printable("a\tb\nc\r\x7f"), "a\tb\nc\\r\\x7f");
  EXPECT_EQ(printable_line("a\tb\nc\r"), "a\\tb\\nc\\r");
  // Well-formed UTF-8 stays (the tables' "…", a hostname in another script).
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x80\xa6 \xe4\xb8\xad"),
            "caf\xc3\xa9 \xe2\x80\xa6 \xe4\xb8\xad");
  // C1 CSI as UTF-8 (U+009B) and a bidirectional override (U+202E) are escaped.
  EXPECT_EQ(printable("x\xc2\x9by"), "x\\u009by");
  EXPECT_EQ(printable("\xe2\x80\xae"
                      "evil"),
            "\\u202eevil");
  // Bytes that are not UTF-8: a lone continuation byte, an overlong '/', a cut sequence, a
  // surrogate; each byte escaped.
  EXPECT_EQ(printable("\x80"), "\\x80");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xe2\x80"), "\\xe2\\x80");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
}

TEST(ShellQuote, QuotesAnythingAShellWouldReadAsMore) {
  EXPECT_EQ(shell_quote("web"), "web");
  EXPECT_EQ(shell_quote("tw-test-12_3.x"), "tw-test-12_3.x");
  EXPECT_EQ(shell_quote("net.ipv4.tcp_tw_reuse=1"), "net.ipv4.tcp_tw_reuse=1");
  EXPECT_EQ(shell_quote("web; touch /tmp/x"), "'web; touch /tmp/x'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(id)"), "'$(id)'");
  EXPECT_EQ(shell_quote("`id`"), "'`id`'");
  EXPECT_EQ(shell_quote("a\nb"), "'a\nb'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("-rf"), "'-rf'");  // never read as an option of the command
  EXPECT_EQ(shell_quote("*"), "'*'");
}

TEST(Clipped, CutsLongTextAndSaysHowMuch) {
  EXPECT_EQ(clipped("short", 10), "short");
  EXPECT_EQ(clipped(std::string(1000, 'a'), 10),
            std::string(10, 'a') + "\xe2\x80\xa6 (990 more bytes)");
  // Never in the middle of a UTF-8 sequence.
  EXPECT_EQ(clipped("ab\xc3\xa9z", 3), "ab\xe2\x80\xa6 (3 more bytes)");
}

TEST(MessageForTerminal, ClipsLongWordsAndEscapes) {
  const std::string huge(100 * 1024, 'x');
  const std::string m = message_for_terminal("--netns " + huge + ": no such namespace\x1b[2J");
  EXPECT_LT(m.size(), 400u);
  EXPECT_NE(m.find("(102145 more bytes)"), std::string::npos) << m;
  EXPECT_NE(m.find(" no such namespace\\x1b[2J"), std::string::npos) << m;
  // Many short words still make a bounded line.
  std::string words;
  for (int i = 0; i < 10000; ++i) words += "word ";
  EXPECT_LT(message_for_terminal(words).size(), 4200u);
  EXPECT_EQ(message_for_terminal("plain message"), "plain message");
}

}  // namespace
}  // namespace tw
