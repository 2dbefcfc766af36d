// SPDX-License-Identifier: Apache-2.0
// Windows `netstat -an` and `netstat -ano`: "  TCP    127.0.0.1:18115    127.0.0.1:80
// TIME_WAIT    0", IPv6 in brackets ([::]:135, [fe80::1%4]:80), UDP lines ignored. -o adds the
// owning PID (0 for TIME_WAIT rows, which no process owns), -t the offload state. Titles and
// headers in the languages of real captures, also in the console's code page; a state name of
// no known language, or a second table (netstat with an interval), refuses the dump.
#pragma once

#include <optional>
#include <string_view>

#include "import/line_parser.h"
#include "model/tcp_state.h"

namespace tw {

// -b names each row's owner on the lines below it: the component or service ("  RpcSs"), then the
// executable in brackets (" [svchost.exe]", " [NVIDIA Web Helper.exe]"), or "Can not obtain
// ownership information". Those lines are kOwner lines of the row above.
class NetstatWindowsParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;
  bool has_owner_lines() const override { return true; }

 private:
  enum class Above { kNone, kTcp, kUdp };
  Above above_ = Above::kNone;  // the row the next -b owner lines belong to
  bool seen_socket_ = false;    // a title after a row starts a second snapshot
};

// netstat.exe prints the states in the language of the Windows install. German spells them out
// (the others seen in real dumps keep the English names); "ABHÖREN" reaches a file in whatever
// code page the console used: UTF-8, OEM 850 (0x99), Windows-1252 (0xD6), that byte shown as "™"
// and saved as UTF-8, U+FFFD where the line reader met a byte of another code page, or "?" where
// an ASCII encoder replaced it.
std::optional<TcpState> windows_localized_state(std::string_view name);

}  // namespace tw
