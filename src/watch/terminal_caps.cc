// SPDX-License-Identifier: Apache-2.0
#include "watch/terminal_caps.h"

// term.h defines macros named like ordinary words (lines, columns): kept out of other files.
#include <curses.h>
#include <term.h>

namespace tw::watch {

bool terminal_lacks_cursor_addressing(int fd) {
  int err = 0;
  TERMINAL* before = cur_term;
  if (setupterm(nullptr, fd, &err) != OK) return false;
  const char* cup = tigetstr("cup");
  const bool lacks = cup == nullptr || cup == reinterpret_cast<const char*>(-1);
  del_curterm(set_curterm(before));
  return lacks;
}

}  // namespace tw::watch
