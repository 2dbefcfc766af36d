// SPDX-License-Identifier: Apache-2.0
// How wide the output may be, and --help laid out to that width (CLI11 2.1 does not wrap).
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

namespace tw::cli {

// $COLUMNS when it holds a width, else the terminal's on standard output, else 100.
size_t output_width();

class WrappingFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override;
};

}  // namespace tw::cli
