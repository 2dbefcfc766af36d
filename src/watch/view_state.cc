// SPDX-License-Identifier: Apache-2.0
#include "watch/view_state.h"

namespace tw::watch {

namespace {

KeyAction edit_filter(ViewState& v, int key) {
  switch (key) {
    case kKeyEnter:
    case '\r':
      v.filter = v.draft;
      v.editing = false;
      return KeyAction::kRedraw;
    case kKeyEscape:
      v.filter.clear();
      v.draft.clear();
      v.editing = false;
      return KeyAction::kRedraw;
    case kKeyBackspace:
    case '\b':
      if (!v.draft.empty()) v.draft.pop_back();
      return KeyAction::kRedraw;
    default:
      // Addresses, ports and names: printable ASCII is all a filter needs.
      if (key >= 0x20 && key < 0x7f && v.draft.size() < 64) {
        v.draft.push_back(static_cast<char>(key));
        return KeyAction::kRedraw;
      }
      return KeyAction::kNone;
  }
}

Panel toggle(Panel now, Panel to) { return now == to ? Panel::kRows : to; }

}  // namespace

KeyAction press(ViewState& v, int key) {
  if (key == kKeyResize) return KeyAction::kRedraw;
  if (v.editing) return edit_filter(v, key);
  switch (key) {
    case 'q':
    case 'Q':
      return KeyAction::kQuit;
    case 'p':
    case 'P':
    case ' ':
      v.paused = !v.paused;
      return v.paused ? KeyAction::kRedraw : KeyAction::kRefresh;
    case 's':
    case 'S':
      v.sort = next_sort_key(v.sort);
      return KeyAction::kRedraw;
    case '/':
      v.editing = true;
      v.draft = v.filter;
      v.panel = Panel::kRows;
      return KeyAction::kRedraw;
    case 'd':
    case 'D':
      v.panel = toggle(v.panel, Panel::kFindings);
      return KeyAction::kRedraw;
    case '?':
    case 'h':
      v.panel = toggle(v.panel, Panel::kHelp);
      return KeyAction::kRedraw;
    case kKeyEscape:
      if (v.panel == Panel::kRows) return KeyAction::kNone;
      v.panel = Panel::kRows;
      return KeyAction::kRedraw;
    default:
      return KeyAction::kNone;
  }
}

}  // namespace tw::watch
