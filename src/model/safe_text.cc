// SPDX-License-Identifier: Apache-2.0
#include "model/safe_text.h"

#include <fmt/format.h>

#include <cstdint>

namespace tw {

namespace {

// Length of the UTF-8 sequence starting at s[i] and its code point, or 0 when the bytes there
// are not well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
size_t utf8_sequence(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = v << 6 | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

bool hidden_code_point(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) ||      // C1 controls: 0x9B is CSI on many terminals
         (cp >= 0x202A && cp <= 0x202E) ||  // bidirectional embeddings and overrides
         (cp >= 0x2066 && cp <= 0x2069);    // bidirectional isolates
}

std::string escape(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (keep_line_breaks && (c == '\n' || c == '\t')) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = utf8_sequence(text, i, &cp);
    if (n == 0) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
      ++i;
    } else if (hidden_code_point(cp)) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
      i += n;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_-.,:/=@%+^").find(c) != std::string_view::npos;
}

}  // namespace

std::string printable(std::string_view text) { return escape(text, true); }
std::string printable_line(std::string_view text) { return escape(text, false); }

std::string shell_quote(std::string_view word) {
  bool safe = !word.empty() && word.front() != '-' && word.front() != '=';
  for (char c : word) safe = safe && shell_safe(c);
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string clipped(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  // Back up to the start of a UTF-8 sequence, so the kept part stays well-formed.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}\u2026 ({} more bytes)", text.substr(0, cut), text.size() - cut);
}

std::string message_for_terminal(std::string_view message) {
  constexpr size_t kWord = 256, kLine = 4096;
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t end = message.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = message.size();
    out += clipped(message.substr(i, end - i), kWord);
    if (end < message.size()) out += message[end];
    i = end + 1;
  }
  if (out.size() > kLine) out = clipped(out, kLine);
  return printable(out);
}

}  // namespace tw
