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

struct Address {
  uint8_t family = 0;               // AF_INET or AF_INET6; 0 means unknown / not given.
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes.

  static Address v4(uint32_t network_order);
  static Address v6(const uint8_t bytes[16]);

  bool is_v4() const;
  bool is_unspecified() const;  // 0.0.0.0, :: or unknown
  bool is_loopback() const;     // 127/8 or ::1 (also ::ffff:127/104)
  // "10.0.0.1", "2001:db8::1" (no brackets).
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

  // "10.0.0.1:80", "[2001:db8::1]:443".
  std::string to_string() const;
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
