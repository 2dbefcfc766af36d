// SPDX-License-Identifier: Apache-2.0
// What the terminal TERM names can do, asked of terminfo before the screen is taken over.
#pragma once

namespace tw::watch {

// True when TERM names a terminal that cannot place the cursor (TERM=dumb: Emacs' shell
// buffer, a serial console set up blind): ncurses opens on it anyway and paints a screen where
// only the last line stays readable, so watch writes its log there instead. False when the
// terminal can, and when TERM names no terminal at all (opening the screen then says so).
bool terminal_lacks_cursor_addressing(int fd);

}  // namespace tw::watch
