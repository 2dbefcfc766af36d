// SPDX-License-Identifier: Apache-2.0
// Every key of the watch screen, without a terminal.
#include "watch/view_state.h"

#include <gtest/gtest.h>

namespace tw::watch {
namespace {

void type(ViewState& v, std::string_view keys) {
  for (char c : keys) press(v, c);
}

TEST(Keys, QuitPauseAndSort) {
  ViewState v;
  EXPECT_EQ(press(v, 'q'), KeyAction::kQuit);
  EXPECT_EQ(press(v, 'p'), KeyAction::kRedraw);
  EXPECT_TRUE(v.paused);
  // Resuming takes a new sample at once rather than showing stale numbers for an interval.
  EXPECT_EQ(press(v, 'p'), KeyAction::kRefresh);
  EXPECT_FALSE(v.paused);
  EXPECT_EQ(press(v, 's'), KeyAction::kRedraw);
  EXPECT_EQ(v.sort, SortKey::kRate);
  press(v, 's');
  EXPECT_EQ(v.sort, SortKey::kTimeWait);
  press(v, 's');
  EXPECT_EQ(v.sort, SortKey::kPressure);
  EXPECT_EQ(press(v, 'x'), KeyAction::kNone);
}

TEST(Keys, FilterIsTypedKeptAndCleared) {
  ViewState v;
  press(v, '/');
  EXPECT_TRUE(v.editing);
  // While typing, q and p are letters of the filter, not commands.
  type(v, "8080q");
  EXPECT_EQ(v.draft, "8080q");
  EXPECT_EQ(press(v, kKeyBackspace), KeyAction::kRedraw);
  EXPECT_EQ(press(v, kKeyEnter), KeyAction::kRedraw);
  EXPECT_FALSE(v.editing);
  EXPECT_EQ(v.filter, "8080");
  EXPECT_FALSE(v.paused);
  // Editing again starts from the kept filter; Esc drops it.
  press(v, '/');
  EXPECT_EQ(v.draft, "8080");
  press(v, kKeyEscape);
  EXPECT_FALSE(v.editing);
  EXPECT_EQ(v.filter, "");
}

TEST(Keys, PanelsToggleAndEscapeGoesBack) {
  ViewState v;
  press(v, 'd');
  EXPECT_EQ(v.panel, Panel::kFindings);
  press(v, 'd');
  EXPECT_EQ(v.panel, Panel::kRows);
  press(v, '?');
  EXPECT_EQ(v.panel, Panel::kHelp);
  press(v, 'd');
  EXPECT_EQ(v.panel, Panel::kFindings);
  EXPECT_EQ(press(v, kKeyEscape), KeyAction::kRedraw);
  EXPECT_EQ(v.panel, Panel::kRows);
  EXPECT_EQ(press(v, kKeyResize), KeyAction::kRedraw);
}

}  // namespace
}  // namespace tw::watch
