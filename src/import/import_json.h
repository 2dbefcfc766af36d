// SPDX-License-Identifier: Apache-2.0
// The import report as JSON, for the "import" member of `census --json` (docs/import.md): what
// was read, what was skipped and why, and each state spelling of the source with the state it
// was counted as.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "import/import.h"

namespace tw {

nlohmann::json import_report_to_json(const ImportReport& report);

}  // namespace tw
