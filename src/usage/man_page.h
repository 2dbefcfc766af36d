// SPDX-License-Identifier: Apache-2.0
// Man pages in roff (man(7) macros) from the command line's definition: timewait(8) for the program
// and timewait-COMMAND(8) for each of its commands, with nested commands (lab run) in their
// parent's page.
#pragma once

#include <string>
#include <vector>

#include "usage/command_line.h"

namespace tw::usage {

// What the definition does not hold: the release, and sections written for the root page. The
// EXIT STATUS and EXAMPLES sections come from the definition (Command::exit_status, examples).
struct ManInfo {
  std::string version;  // "0.1.0+12.gabc1234": the footer
  std::string date;     // "2026-12-01": the footer (the commit's date, so a rebuild is identical)
  struct Section {
    std::string title;  // "ENVIRONMENT"
    // Paragraphs; a line "TERM\tTEXT" is a tagged paragraph (.TP), so tables read as lists.
    std::string text;
  };
  std::vector<Section> root_sections;  // after the options of timewait(8)
  std::vector<std::string> see_also;   // "ss(8)", ...
};

struct ManPage {
  std::string file;  // "timewait-census.8"
  std::string text;
};

std::vector<ManPage> man_pages(const Command& root, const ManInfo& info);

// Text for roff: backslashes, hyphens (as \-, so options can be searched and copied) and `code`
// spans (bold).
std::string roff_escape(const std::string& text);

}  // namespace tw::usage
