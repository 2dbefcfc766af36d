// SPDX-License-Identifier: Apache-2.0
// Plain-text layout shared by every table and paragraph timewait prints (census, doctor, help):
// columns as wide as their longest cell, no trailing spaces, and nothing wider than the width
// asked for (the terminal's, or 100).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tw {

inline constexpr size_t kDefaultWidth = 100;  // when standard output is not a terminal

struct TableColumn {
  std::string header;
  bool right = true;  // numbers right-aligned; labels and free text left
  // Left out when the table does not fit the width, highest first (0: always shown), and named
  // in a line under the table, so a narrow terminal keeps the columns that matter most.
  int drop = 0;
};

// Rows of cells under headers. The first column is the label (an address, a tuple): when a row
// would pass the width, its label goes on a line of its own and the other cells follow on the
// next line, still in their columns, so nothing is cut off. The last column may be free text.
// Columns marked `drop` give way first when even that cannot fit.
class Table {
 public:
  explicit Table(std::vector<TableColumn> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> cells);
  std::string render(size_t width = kDefaultWidth) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<TableColumn> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Words of `text` in lines of at most `width` characters (a longer word stands alone):
// `first` before the first line, `rest` before the others.
std::string wrap_text(std::string_view text, size_t width, std::string_view first = "",
                      std::string_view rest = "");

// `line` with trailing spaces removed.
std::string trim_right(std::string line);

}  // namespace tw
