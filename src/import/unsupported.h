// SPDX-License-Identifier: Apache-2.0
// Outputs people paste that hold no socket list timewait can count (lsof, the ss -s summary,
// netstat -s, PowerShell's Format-List and ConvertTo-Json): recognised from their first lines, so
// that the refusal says what the file is and what to capture instead of "unknown format".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tw {

// A sentence naming what `head` (the first non-blank lines of a dump) holds, the line that tells
// it (1-based) and what to capture instead; "" when it is none of those outputs.
std::string recognise_unsupported(const std::vector<std::string>& head);

// The sentence for PowerShell's JSON of Get-NetTCPConnection; `where` names the line ("" if none).
std::string powershell_json_refusal(std::string_view where);

}  // namespace tw
