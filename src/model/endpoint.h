// SPDX-License-Identifier: Apache-2.0
// An IPv4 or IPv6 address and a port, stored in network byte order so that netlink, /proc and
// text importers all fill the same bytes and equal endpoints compare equal.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tw {

// A host name where an address belongs: what a dump taken without -n prints ("localhost",
// "api", "myhost.local"). It stays a name: resolving it here would give this machine's answer,
// not the one of the machine that printed it. Names are interned (see intern_name), so a named
// Address is as small and as fast to compare and hash as a numeric one.
inline constexpr uint8_t kFamilyName = 0xFF;

// The process-wide table of names seen in dumps: id 1.. for a name (the same id for the same
// text), 0 when the table is full (kMaxNames: a hostile dump must not grow memory without
// bound). Thread-safe.
inline constexpr uint32_t kMaxNames = 65535;
uint32_t intern_name(std::string_view name);
std::string_view name_of(uint32_t id);  // "" for 0 or an unknown id

struct Address {
  uint8_t family = 0;               // AF_INET, AF_INET6 or kFamilyName; 0 = unknown / not given.
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes; a name its id in the first 4.

  static Address v4(uint32_t network_order);
  static Address v6(const uint8_t bytes[16]);
  // A host name as printed; nullopt when the name table is full.
  static std::optional<Address> named(std::string_view name);

  bool is_name() const { return family == kFamilyName; }
  bool is_v4() const;
  bool is_unspecified() const;  // 0.0.0.0, :: or unknown
  bool is_loopback() const;     // 127/8 or ::1 (also ::ffff:127/104)
  bool is_v4_mapped() const;    // ::ffff:a.b.c.d
  // The IPv4 address of an IPv4-mapped IPv6 one (::ffff:10.0.0.1 -> 10.0.0.1), else itself.
  Address unmapped_v4() const;
  // "10.0.0.1", "2001:db8::1" (no brackets), or the name.
  std::string to_string() const;
  // Accepts dotted IPv4, IPv6 with or without brackets, and "*" (unspecified).
  static std::optional<Address> parse(std::string_view text);

  auto operator<=>(const Address&) const = default;
  // Two 64-bit compares instead of memcmp: the census compares addresses once per socket.
  bool operator==(const Address& o) const {
    uint64_t a[2], b[2];
    std::memcpy(a, bytes.data(), 16);
    std::memcpy(b, o.bytes.data(), 16);
    return family == o.family && a[0] == b[0] && a[1] == b[1];
  }
};

struct Endpoint {
  Address addr;
  uint16_t port = 0;  // host byte order
  // A service name that maps to no single port (intern_name id; port is 0 then), as a dump
  // taken without -n may print it. 0 for a numeric port.
  uint16_t port_name = 0;

  bool is_named() const { return addr.is_name() || port_name != 0; }
  // "80", or the service name.
  std::string port_string() const;
  // "10.0.0.1:80", "[2001:db8::1]:443", "localhost:25", "api:x-svc".
  std::string to_string() const;
  // The inverse of to_string() (a census --save snapshot holds endpoints so).
  static std::optional<Endpoint> parse(std::string_view text);
  auto operator<=>(const Endpoint&) const = default;
};

struct AddressHash {
  size_t operator()(const Address& a) const {
    uint64_t x, y;
    std::memcpy(&x, a.bytes.data(), 8);
    std::memcpy(&y, a.bytes.data() + 8, 8);
    return std::hash<uint64_t>()(x * 0x9e3779b97f4a7c15ULL ^ y ^ a.family);
  }
};

}  // namespace tw
