// SPDX-License-Identifier: Apache-2.0
// Reading Windows TCP settings saved as text: a `reg export` of
// HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters (regedit writes UTF-16LE with a BOM;
// UTF-8 copies are accepted too) and the output of `netsh int ipv4 show dynamicport tcp`.
// Both fill HostFacts::windows_params.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "model/result.h"

namespace tw {

// Bytes of a text file as UTF-8: UTF-16LE (with or without BOM, as PowerShell's `>` writes)
// is converted, a UTF-8 BOM dropped, CR removed.
std::string text_from_bytes(std::string_view bytes);

// DWORD values ("Name"=dword:0000001e) of the Tcpip\Parameters key itself (not its subkeys), by
// value name. An error if the export has no such key.
Result<std::map<std::string, int64_t>> parse_reg_export(std::string_view bytes);

// "Start Port      : 49152" / "Number of Ports : 16384" -> DynamicPortStart, DynamicPortNumber.
Result<std::map<std::string, int64_t>> parse_netsh_dynamicport(std::string_view bytes);

// Reads a file whole; an error names the path.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace tw
