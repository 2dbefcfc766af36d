// SPDX-License-Identifier: Apache-2.0
// The thin ncurses painter under `timewait watch`: takes over the terminal (alternate screen, no
// echo, one key at a time), copies the layout's lines to it, reads keys, and gives the terminal
// back as it found it. All layout lives in screen.h; this file only talks to ncurses.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "model/result.h"
#include "watch/screen.h"

namespace tw::watch {

class CursesScreen {
 public:
  // On the terminal of standard input and output. `colour`: use colours when the terminal has
  // them (false for NO_COLOR); without them, bold, reverse and underline carry the highlights.
  static Result<std::unique_ptr<CursesScreen>> open(bool colour);
  ~CursesScreen();
  CursesScreen(const CursesScreen&) = delete;
  CursesScreen& operator=(const CursesScreen&) = delete;

  size_t width() const;
  size_t height() const;
  void paint(const std::vector<Line>& lines);
  // The next key within timeout_ms as view_state.h numbers it (kKeyResize after a resize), or
  // -1 when none came.
  int read_key(int timeout_ms);

 private:
  CursesScreen() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tw::watch
