// SPDX-License-Identifier: Apache-2.0
// What the person at the screen has chosen, and how each key changes it: q quit, p pause, s cycle
// the sort, / edit the filter (Enter keeps it, Esc drops it), d the doctor's findings, ? help.
// Pure, so every key is tested without a terminal; the painter maps the terminal's key codes to
// these.
#pragma once

#include <string>

#include "watch/frame.h"

namespace tw::watch {

// Keys beyond ASCII, as the painter reports them.
inline constexpr int kKeyEnter = '\n';
inline constexpr int kKeyEscape = 27;
inline constexpr int kKeyBackspace = 127;
inline constexpr int kKeyResize = 0x10000;

enum class Panel { kRows, kFindings, kHelp };

struct ViewState {
  bool paused = false;
  SortKey sort = SortKey::kPressure;
  std::string filter;
  bool editing = false;  // typing a filter after `/`
  std::string draft;     // the filter being typed
  Panel panel = Panel::kRows;
};

enum class KeyAction {
  kNone,     // nothing changed
  kRedraw,   // the view changed: draw the same data again
  kRefresh,  // take a new sample now (unpaused)
  kQuit,
};

KeyAction press(ViewState& v, int key);

}  // namespace tw::watch
