// SPDX-License-Identifier: Apache-2.0
// Reads a dump line by line in constant memory, whatever the file's encoding: UTF-8 with or
// without a byte-order mark, and UTF-16 (what Windows PowerShell 5's `>` writes), with CRLF or
// LF line ends. Tells binary input apart from text before any line is handed out.
#pragma once

#include <cstdint>
#include <string>

#include "model/result.h"
#include "os/unique_fd.h"

namespace tw {

class LineReader {
 public:
  static constexpr size_t kMaxLine = 1 << 20;  // longer lines are cut and flagged

  // Takes ownership of `fd`. `name` is used in messages.
  LineReader(int fd, std::string name);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the first block: fails for binary input or a read error.
  Status start();
  // The bytes of the first block as read (before decoding), for format sniffing.
  const std::string& first_block() const { return first_raw_; }
  bool utf16() const { return enc_ != Encoding::kUtf8; }
  bool empty() const { return total_raw_ == 0; }

  // The next line without its terminator; false at the end of input (or on a read error, see
  // error()). `*cut` is set when the line was longer than kMaxLine and was cut.
  bool next(std::string* line, bool* cut);
  const std::string& error() const { return error_; }

  // Hands the descriptor over (for readers that take the rest of the input as a whole).
  int release_fd();

 private:
  enum class Encoding { kUtf8, kUtf16Le, kUtf16Be };
  bool fill();  // reads and decodes one more block; false at end of input or error
  void decode(const char* p, size_t n);

  int fd_;
  os::UniqueFd owned_;  // fd_ unless it is standard input, which stays open for the caller
  std::string name_;
  Encoding enc_ = Encoding::kUtf8;
  std::string first_raw_;
  std::string buf_;  // decoded, not yet handed out: [pos_, size)
  size_t pos_ = 0;
  bool eof_ = false;
  bool have_odd_ = false;  // UTF-16: a byte left over from the previous block
  char odd_ = 0;
  int64_t total_raw_ = 0;
  std::string error_;
};

}  // namespace tw
