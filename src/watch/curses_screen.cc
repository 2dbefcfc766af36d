// SPDX-License-Identifier: Apache-2.0
#include "watch/curses_screen.h"

#include <curses.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "model/safe_text.h"
#include "watch/view_state.h"

namespace tw::watch {

struct CursesScreen::Impl {
  SCREEN* screen = nullptr;
  bool colour = false;
};

namespace {

enum Pair : short { kPairOk = 1, kPairWarning, kPairCritical, kPairGrow, kPairDim };

attr_t attributes(Attr a, bool colour) {
  switch (a) {
    case Attr::kNormal:
      return A_NORMAL;
    case Attr::kTitle:
      return A_REVERSE;
    case Attr::kHeader:
      return A_BOLD;
    case Attr::kDim:
      return colour ? COLOR_PAIR(kPairDim) : A_DIM;
    case Attr::kOk:
      return colour ? COLOR_PAIR(kPairOk) : A_NORMAL;
    case Attr::kWarning:
      return colour ? COLOR_PAIR(kPairWarning) | A_BOLD : A_BOLD;
    case Attr::kCritical:
      return colour ? COLOR_PAIR(kPairCritical) | A_BOLD : A_BOLD | A_UNDERLINE;
    case Attr::kGrow:
      return colour ? COLOR_PAIR(kPairGrow) | A_BOLD : A_BOLD | A_REVERSE;
  }
  return A_NORMAL;
}

}  // namespace

Result<std::unique_ptr<CursesScreen>> CursesScreen::open(bool colour) {
  auto impl = std::make_unique<Impl>();
  impl->screen = newterm(nullptr, stdout, stdin);
  if (!impl->screen) {
    const char* term = std::getenv("TERM");
    return fail(
        fmt::format("cannot drive the terminal ({}); set TERM to your terminal's type, or use "
                    "--json or redirect the output for a log",
                    !term    ? "TERM is unset"
                    : !*term ? "TERM is empty"
                             : fmt::format("TERM={}", term)));
  }
  set_term(impl->screen);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  // Esc leaves the filter at once instead of after ncurses' default second.
  set_escdelay(50);
  curs_set(0);
  if (colour && has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kPairOk, COLOR_GREEN, -1);
    init_pair(kPairWarning, COLOR_YELLOW, -1);
    init_pair(kPairCritical, COLOR_RED, -1);
    init_pair(kPairGrow, COLOR_MAGENTA, -1);
    init_pair(kPairDim, COLOR_CYAN, -1);
    impl->colour = true;
  }
  std::unique_ptr<CursesScreen> s(new CursesScreen());
  s->impl_ = std::move(impl);
  return s;
}

CursesScreen::~CursesScreen() {
  if (!impl_ || !impl_->screen) return;
  curs_set(1);
  endwin();
  delscreen(impl_->screen);
  std::fflush(stdout);
}

size_t CursesScreen::width() const { return static_cast<size_t>(std::max(0, getmaxx(stdscr))); }
size_t CursesScreen::height() const { return static_cast<size_t>(std::max(0, getmaxy(stdscr))); }

void CursesScreen::paint(const std::vector<Line>& lines) {
  werase(stdscr);
  const int rows = getmaxy(stdscr);
  for (int y = 0; y < rows && y < static_cast<int>(lines.size()); ++y) {
    wmove(stdscr, y, 0);
    for (const Span& sp : lines[y].spans) {
      const attr_t a = attributes(sp.attr, impl_->colour);
      wattron(stdscr, a);
      // Process names are anyone's choice (prctl PR_SET_NAME): no byte of one reaches the
      // terminal as a control. The bottom-right cell makes addstr report an error after
      // writing: harmless.
      const std::string text = printable_line(sp.text);
      waddnstr(stdscr, text.c_str(), static_cast<int>(text.size()));
      wattroff(stdscr, a);
    }
  }
  wnoutrefresh(stdscr);
  doupdate();
}

int CursesScreen::read_key(int timeout_ms) {
  wtimeout(stdscr, timeout_ms);
  const int c = wgetch(stdscr);
  switch (c) {
    case ERR:
      return -1;
    case KEY_RESIZE:
      return kKeyResize;
    case KEY_BACKSPACE:
    case KEY_DC:
    case 8:
    case 127:
      return kKeyBackspace;
    case KEY_ENTER:
    case '\r':
    case '\n':
      return kKeyEnter;
    default:
      return c >= 0 && c < 256 ? c : -1;
  }
}

}  // namespace tw::watch
