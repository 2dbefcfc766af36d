// SPDX-License-Identifier: Apache-2.0
#include "census/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace tw {

namespace {

constexpr std::string_view kGap = "  ";

// Columns count characters, not bytes: "…" and "≥" are one column each.
size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void pad(std::string* out, std::string_view cell, size_t width, bool right) {
  size_t w = display_width(cell);
  size_t fill = width > w ? width - w : 0;
  if (right) out->append(fill, ' ');
  out->append(cell);
  if (!right) out->append(fill, ' ');
}

}  // namespace

std::string trim_right(std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

void Table::add(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render(size_t width) const {
  const size_t n = columns_.size();
  std::vector<size_t> w(n);
  for (size_t c = 0; c < n; ++c) {
    w[c] = display_width(columns_[c].header);
    for (auto& r : rows_) w[c] = std::max(w[c], display_width(r[c]));
  }
  // The columns shown after the label: droppable ones give way, highest first, while the rest
  // and the label's header cannot share the width.
  std::vector<size_t> shown;
  for (size_t c = 1; c < n; ++c) shown.push_back(c);
  auto others_width = [&] {
    size_t others = 0;
    for (size_t c : shown) others += kGap.size() + w[c];
    return others;
  };
  std::vector<std::string> dropped;
  while (others_width() + display_width(columns_[0].header) > width) {
    auto it = std::max_element(shown.begin(), shown.end(), [&](size_t a, size_t b) {
      return columns_[a].drop < columns_[b].drop;
    });
    if (it == shown.end() || columns_[*it].drop == 0) break;
    dropped.push_back(columns_[*it].header);
    shown.erase(it);
  }
  // What the columns after the label need; the label gets the rest, at least its header.
  const size_t others = others_width();
  const size_t label_max =
      width > others ? std::max(width - others, display_width(columns_[0].header)) : w[0];
  const size_t label = std::min(w[0], label_max);
  auto line = [&](const std::vector<std::string>& cells, bool label_alone) {
    std::string out;
    if (label_alone) {
      out = cells[0] + "\n";
      pad(&out, "", label, false);
    } else {
      pad(&out, cells[0], label, columns_[0].right);
    }
    for (size_t c : shown) {
      out += kGap;
      // Free text in the last column is not padded (no trailing spaces) and wraps under itself
      // when there is room for a few words.
      if (c == shown.back() && !columns_[c].right) {
        const size_t nl = out.rfind('\n');
        const size_t from = nl == std::string::npos ? 0 : nl + 1;  // after a label alone
        const size_t start = display_width(std::string_view(out).substr(from));
        if (start + display_width(cells[c]) > width && start + 20 <= width)
          return out.substr(0, from) +
                 wrap_text(cells[c], width, out.substr(from), std::string(start, ' '));
        out += cells[c];
      } else {
        pad(&out, cells[c], w[c], columns_[c].right);
      }
    }
    return trim_right(std::move(out)) + "\n";
  };
  std::vector<std::string> header;
  for (auto& c : columns_) header.push_back(c.header);
  std::string out = line(header, false);
  for (auto& r : rows_) out += line(r, display_width(r[0]) > label);
  if (!dropped.empty()) {
    std::string names;
    for (auto& d : dropped) names += (names.empty() ? "" : ", ") + d;
    out += wrap_text(
        fmt::format("({} left out to fit {} columns; --json has every field)", names, width),
        width);
  }
  return out;
}

std::string wrap_text(std::string_view text, size_t width, std::string_view first,
                      std::string_view rest) {
  std::string out, line(first);
  std::istringstream words{std::string(text)};
  bool empty = true;
  for (std::string w; words >> w;) {
    if (!empty && display_width(line) + 1 + display_width(w) > width) {
      out += line + "\n";
      line = rest;
      empty = true;
    }
    line += (empty ? "" : " ") + w;
    empty = false;
  }
  if (!empty) out += line + "\n";
  return out;
}

}  // namespace tw
