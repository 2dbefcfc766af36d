// SPDX-License-Identifier: Apache-2.0
#include "cli/terminal.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "census/table.h"

namespace tw::cli {

namespace {
// Narrower than this, tables of tuples stop being readable at all.
constexpr size_t kMinWidth = 40;
}  // namespace

size_t output_width() {
  if (const char* c = std::getenv("COLUMNS"); c && *c) {
    size_t v = 0;
    auto [p, ec] = std::from_chars(c, c + std::strlen(c), v);
    if (ec == std::errc() && *p == '\0' && v >= kMinWidth) return v;
  }
#ifdef _WIN32
  CONSOLE_SCREEN_BUFFER_INFO ci;
  if (_isatty(_fileno(stdout)) && GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &ci))
    if (size_t w = ci.srWindow.Right - ci.srWindow.Left + 1; w >= kMinWidth) return w;
#else
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= kMinWidth)
    return ws.ws_col;
#endif
  return kDefaultWidth;
}

std::string WrappingFormatter::make_help(const CLI::App* app, std::string name,
                                         CLI::AppFormatMode mode) const {
  const std::string text = CLI::Formatter::make_help(app, std::move(name), mode);
  const size_t width = output_width();
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    line = trim_right(std::move(line));
    if (line.size() <= width) {
      out += line + "\n";
      continue;
    }
    // An option line ("  --top INT   Rows in ..."): continuation lines start under the
    // description. Prose wraps flush left.
    size_t hang = 0;
    if (line.starts_with("  ")) {
      size_t name_end = line.find("  ", line.find_first_not_of(' '));
      size_t desc =
          name_end == std::string::npos ? name_end : line.find_first_not_of(' ', name_end);
      if (desc != std::string::npos && desc < width / 2) hang = desc;
    }
    // A word too long to stand under the description (a registry path) is moved left to fit.
    size_t longest = 0;
    std::istringstream words(line.substr(hang));
    for (std::string w; words >> w;) longest = std::max(longest, w.size());
    const size_t rest = longest + hang > width ? (longest < width ? width - longest : 0) : hang;
    out += wrap_text(std::string_view(line).substr(hang), width, line.substr(0, hang),
                     std::string(rest, ' '));
  }
  return out;
}

}  // namespace tw::cli
