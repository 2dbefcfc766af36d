// SPDX-License-Identifier: Apache-2.0
// The watch screen as a pure function: a Frame and the ViewState in, the lines of a
// width x height screen out, each a run of text spans with an attribute. The ncurses painter
// only copies these to the terminal, so the layout (80x24 over ssh, a resize, a tiny window) is
// tested without a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "watch/frame.h"
#include "watch/view_state.h"

namespace tw::watch {

// What a span means; the painter picks a colour (or bold/reverse without colours) for each.
enum class Attr { kNormal, kTitle, kHeader, kDim, kOk, kWarning, kCritical, kGrow };

struct Span {
  std::string text;
  Attr attr = Attr::kNormal;
};

struct Line {
  std::vector<Span> spans;
  std::string text() const;  // the spans' text joined
};

// Screens smaller than this get one line saying so.
inline constexpr size_t kMinWidth = 40, kMinHeight = 10;

// Exactly `height` lines, none wider than `width` characters.
std::vector<Line> layout(const Frame& f, const ViewState& v, double interval_s, size_t width,
                         size_t height);

// The values as one character each (the most recent `width`, several to a character when there
// are more), from '_' (zero) to '@' (the largest).
std::string sparkline(const std::vector<double>& values, size_t width);

// "+1,502", "-3", "0".
std::string signed_count(int64_t n);
// "1m30s", "45s", "2h05m".
std::string short_duration(double seconds);

}  // namespace tw::watch
