// SPDX-License-Identifier: Apache-2.0
// Text from outside (a snapshot, a dump, a client, an argument) made safe where it is shown: on a
// terminal, inside a shell command a person will paste, and echoed in an error line. Every front
// end shows outside text through these three, so no byte of a hostile file can move the cursor,
// retitle the window or run a command.
#pragma once

#include <string>
#include <string_view>

namespace tw {

// `text` for a terminal: control characters (C0 but newline and tab, DEL, C1), the bidirectional
// overrides (U+202A-U+202E, U+2066-U+2069) and bytes that are not UTF-8 become visible escapes
// (\x1b, \u009b, \u202e, \xff); everything else, "…" and box lines included, stays as it is.
std::string printable(std::string_view text);
// The same for one field of a line (a hostname, a process name): newline, carriage return and tab
// are escaped too, so a value cannot start a line of its own.
std::string printable_line(std::string_view text);

// `word` as one word for a POSIX shell: unchanged when it holds only characters no shell treats
// specially (letters, digits, _ - . , : / = @ % + ^), else in single quotes ('it'\''s').
std::string shell_quote(std::string_view word);

// `text` cut to at most `max` bytes (at a UTF-8 boundary) with how much was left out:
// "aaaa… (99744 more bytes)". Unchanged when it fits.
std::string clipped(std::string_view text, size_t max = 256);

// An error or note line for the terminal: every word longer than 256 bytes is clipped (a 100 KB
// argument echoed back), the line cut to 4 KiB, and the result made printable_line-safe except
// for its newlines (a message may span lines).
std::string message_for_terminal(std::string_view message);

}  // namespace tw
