// SPDX-License-Identifier: Apache-2.0
// Pieces every text format shares: splitting a line into columns, numbers, ports, addresses in
// the spellings of ss, netstat (Linux, Windows, BSD) and PowerShell, and state names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/endpoint.h"
#include "model/tcp_state.h"

namespace tw {

// Splits on spaces and tabs into at most `max` fields; returns how many were found (a line with
// more fields fills `max` and the rest is not looked at).
size_t split_fields(std::string_view line, std::string_view* out, size_t max);

std::string_view trim(std::string_view s);

// Whole-string decimal numbers.
bool parse_u64(std::string_view s, uint64_t* out);
bool parse_u32(std::string_view s, uint32_t* out);

enum class EndpointError { kNone, kNoSeparator, kBadPort, kBadAddress, kTooManyNames };

// "ADDR:PORT" as ss, Linux and Windows netstat print it: 10.0.0.1:80, [2001:db8::1]:443,
// :::22 and ::1:9090 (netstat, no brackets), *:80, 0.0.0.0:*, 127.0.0.53%lo:53, [fe80::1%4]:80.
// Port "*" is 0. "*" as address is the IPv6 wildcard (ss prints it only for dual-stack sockets).
// Without -n tools print names: a host name is kept as a named Address ("localhost:25"), a
// service name becomes its port where the services list is unambiguous (services.h) and is
// kept as Endpoint::port_name otherwise.
EndpointError parse_colon_endpoint(std::string_view text, Endpoint* ep);
// "ADDR.PORT" as BSD and macOS netstat print it: 127.0.0.1.8080, ::1.8080, *.8080, *.*,
// fe80::1%lo0.8080. The wildcard "*" takes the family `wildcard_family`.
EndpointError parse_dot_endpoint(std::string_view text, Endpoint* ep, uint8_t wildcard_family);

// An endpoint a tool cut to its column width: the cut host (when not empty) becomes the name
// "<as printed>…" and the cut port (when not empty) the port name "<as printed>…". The socket then
// counts in its state and, being named, stays out of port pressure. False when the name table is
// full.
inline constexpr std::string_view kCutMark = "\xE2\x80\xA6";  // "…"
bool keep_cut(std::string_view host, std::string_view port, Endpoint* ep);

// An IPv4 address as an IPv6 socket sees it (::ffff:a.b.c.d); other addresses are unchanged.
Address v4_mapped(const Address& a);

// A state as any supported tool spells it: parse_state() plus the spellings that are not
// RFC 793 states but which tools print for TCP sockets (Windows DELETE_TCB, PowerShell Bound,
// ss NEW-SYN-RECV and BOUND-INACTIVE), mapped to the nearest state.
std::optional<TcpState> import_state(std::string_view name);

// Timer text as ss -o prints it (misc/ss.c print_ms_timer): "59sec", "1min3sec", "5.123ms"
// (5 s 123 ms), "200ms", "1min". Returns milliseconds.
std::optional<int64_t> parse_ss_timer(std::string_view text);

}  // namespace tw
