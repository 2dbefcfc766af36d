// SPDX-License-Identifier: Apache-2.0
#include "import/line_reader.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tw {

namespace {

constexpr size_t kBlock = 64 * 1024;

void append_utf8(std::string* out, uint32_t c) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c >= 0xD800 && c < 0xE000) {
    out->push_back('?');  // surrogates: never part of a dump's addresses or states
  } else {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Text dumps hold printable characters, tabs and line ends; a NUL byte or many control bytes
// mean an archive, an image or a core file.
bool looks_binary(std::string_view s) {
  size_t control = 0;
  for (unsigned char c : s) {
    if (c == 0) return true;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ++control;
  }
  return control * 100 > s.size();
}

// Length of the UTF-8 sequence at s[i], or 0 when the bytes there are none (a stray byte of a
// code page: cmd.exe writes OEM 850 or 866 to a redirected file).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

// Every line handed out is valid UTF-8: a byte of another code page becomes U+FFFD, so that the
// text reaches notes and JSON as it can be shown ("ABH\x99REN" of a German netstat is "ABH�REN").
void repair_utf8(std::string* line) {
  size_t i = 0;
  while (i < line->size() && static_cast<unsigned char>((*line)[i]) < 0x80) ++i;
  if (i == line->size()) return;
  std::string out = line->substr(0, i);
  while (i < line->size()) {
    size_t n = utf8_sequence(*line, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(*line, i, n);
      i += n;
    }
  }
  *line = std::move(out);
}

}  // namespace

LineReader::LineReader(int fd, std::string name)
    : fd_(fd), owned_(fd > STDERR_FILENO ? fd : -1), name_(std::move(name)) {}

LineReader::~LineReader() = default;

int LineReader::release_fd() {
  (void)owned_.release();
  return std::exchange(fd_, -1);
}

Status LineReader::start() {
  // Read until the first block is full or the input ends, so a slow pipe still gets a fair sniff.
  first_raw_.resize(kBlock);
  size_t got = 0;
  while (got < kBlock) {
    ssize_t n = read(fd_, first_raw_.data() + got, kBlock - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(fmt::format("cannot read {}: {}", name_, std::strerror(errno)));
    if (n == 0) {
      eof_ = true;
      break;
    }
    got += static_cast<size_t>(n);
  }
  first_raw_.resize(got);
  total_raw_ = static_cast<int64_t>(got);
  std::string_view head = first_raw_;
  size_t skip = 0;
  // PowerShell's `Out-File -Encoding UTF32` (and BigEndianUTF32): read as UTF-16 it would look
  // binary, which it is not.
  if (head.starts_with(std::string_view("\xFF\xFE\0\0", 4)) ||
      head.starts_with(std::string_view("\0\0\xFE\xFF", 4)))
    return fail(
        fmt::format("{} is UTF-32 text (PowerShell's `-Encoding UTF32`), which timewait does not "
                    "read: convert it with `iconv -f UTF-32 -t UTF-8 {} > dump.txt`, or write it "
                    "with `Out-File -Encoding utf8`",
                    name_, name_ == "standard input" ? "FILE" : name_));
  if (head.starts_with("\xEF\xBB\xBF")) {
    skip = 3;
  } else if (head.starts_with("\xFF\xFE")) {
    enc_ = Encoding::kUtf16Le;
    skip = 2;
  } else if (head.starts_with("\xFE\xFF")) {
    enc_ = Encoding::kUtf16Be;
    skip = 2;
  } else if (head.size() >= 8) {
    // UTF-16 without a mark: ASCII text has a zero in every other byte.
    size_t zero_odd = 0, zero_even = 0;
    for (size_t i = 0; i + 1 < head.size(); i += 2) {
      zero_even += head[i] == 0;
      zero_odd += head[i + 1] == 0;
    }
    size_t pairs = head.size() / 2;
    if (zero_odd * 10 > pairs * 9 && zero_even == 0) enc_ = Encoding::kUtf16Le;
    if (zero_even * 10 > pairs * 9 && zero_odd == 0) enc_ = Encoding::kUtf16Be;
  }
  decode(first_raw_.data() + skip, got - skip);
  if (looks_binary(buf_))
    return fail(
        fmt::format("{} looks binary (NUL or control bytes near the start), not a text "
                    "dump: give the text output of ss, netstat, Get-NetTCPConnection or "
                    "/proc/net/tcp, or a `census --save` snapshot",
                    name_));
  return {};
}

void LineReader::decode(const char* p, size_t n) {
  if (enc_ == Encoding::kUtf8) {
    buf_.append(p, n);
    return;
  }
  size_t i = 0;
  auto unit = [&](char a, char b) {
    auto lo = static_cast<unsigned char>(enc_ == Encoding::kUtf16Le ? a : b);
    auto hi = static_cast<unsigned char>(enc_ == Encoding::kUtf16Le ? b : a);
    append_utf8(&buf_, static_cast<uint32_t>(hi) << 8 | lo);
  };
  if (have_odd_ && n > 0) {
    unit(odd_, p[0]);
    have_odd_ = false;
    i = 1;
  }
  for (; i + 1 < n; i += 2) unit(p[i], p[i + 1]);
  if (i < n) {
    have_odd_ = true;
    odd_ = p[i];
  }
}

bool LineReader::fill() {
  if (eof_) return false;
  char block[kBlock];
  while (true) {
    ssize_t n = read(fd_, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = fmt::format("cannot read {}: {}", name_, std::strerror(errno));
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    total_raw_ += n;
    // Keep the buffer small: drop what was handed out.
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    decode(block, static_cast<size_t>(n));
    return true;
  }
}

bool LineReader::next(std::string* line, bool* cut) {
  *cut = false;
  while (true) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      size_t len = nl - pos_;
      if (len > kMaxLine) {
        len = kMaxLine;
        *cut = true;
      }
      line->assign(buf_, pos_, len);
      pos_ = nl + 1;
      break;
    }
    if (buf_.size() - pos_ > kMaxLine) {
      // A line longer than any dump line: hand out its start, then drop the rest of it.
      line->assign(buf_, pos_, kMaxLine);
      repair_utf8(line);
      *cut = true;
      pos_ = buf_.size();
      while (true) {
        if (!fill()) return true;
        size_t e = buf_.find('\n', pos_);
        if (e != std::string::npos) {
          pos_ = e + 1;
          return true;
        }
        pos_ = buf_.size();
      }
    }
    if (!fill()) {
      if (pos_ >= buf_.size()) return false;
      line->assign(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
      break;
    }
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  repair_utf8(line);
  return true;
}

}  // namespace tw
