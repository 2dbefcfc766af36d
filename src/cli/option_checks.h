// Checks for option values that CLI11 would otherwise take as they come: "-1" wraps into an
// unsigned, "nan" passes every range comparison. A failed check is a usage error (exit 2) whose
// message names the option.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace tw::cli {

// An integer from lo to hi (no sign for lo >= 0, no overflow).
CLI::Validator whole_number(int64_t lo, int64_t hi);
// A finite number of seconds from lo to hi.
CLI::Validator seconds(double lo, double hi);
// A finite number from lo to hi.
CLI::Validator number(double lo, double hi);

// The first of `names` given on the command line of `sub`, or "" if none: options that do
// nothing in the mode chosen are refused rather than silently dropped.
std::string given(const CLI::App* sub, std::initializer_list<std::string_view> names);

}  // namespace tw::cli
