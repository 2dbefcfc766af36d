// SPDX-License-Identifier: Apache-2.0
#include "model/endpoint.h"

#include <fmt/format.h>

#include <charconv>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "model/portable.h"

namespace tw {

namespace {
struct NameTable {
  std::mutex mu;
  std::deque<std::string> names;  // id - 1 -> name; a deque keeps the views stable
  std::unordered_map<std::string_view, uint32_t> ids;
};
NameTable& name_table() {
  static NameTable* t = new NameTable;  // never destroyed: names outlive static destructors
  return *t;
}
}  // namespace

uint32_t intern_name(std::string_view name) {
  NameTable& t = name_table();
  std::lock_guard lock(t.mu);
  if (auto it = t.ids.find(name); it != t.ids.end()) return it->second;
  if (t.names.size() >= kMaxNames) return 0;
  t.names.emplace_back(name);
  auto id = static_cast<uint32_t>(t.names.size());
  t.ids.emplace(t.names.back(), id);
  return id;
}

std::string_view name_of(uint32_t id) {
  NameTable& t = name_table();
  std::lock_guard lock(t.mu);
  return id >= 1 && id <= t.names.size() ? std::string_view(t.names[id - 1]) : std::string_view();
}

std::optional<Address> Address::named(std::string_view name) {
  uint32_t id = intern_name(name);
  if (!id) return std::nullopt;
  Address a;
  a.family = kFamilyName;
  std::memcpy(a.bytes.data(), &id, 4);
  return a;
}

Address Address::v4(uint32_t network_order) {
  Address a;
  a.family = AF_INET;
  std::memcpy(a.bytes.data(), &network_order, 4);
  return a;
}

Address Address::v6(const uint8_t b[16]) {
  Address a;
  a.family = AF_INET6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

bool Address::is_v4() const { return family == AF_INET; }

bool Address::is_unspecified() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

bool Address::is_v4_mapped() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return family == AF_INET6 && std::memcmp(bytes.data(), kMapped, 12) == 0;
}

Address Address::unmapped_v4() const {
  if (!is_v4_mapped()) return *this;
  Address a;
  a.family = AF_INET;
  std::memcpy(a.bytes.data(), bytes.data() + 12, 4);
  return a;
}

bool Address::is_loopback() const {
  if (family == AF_INET) return bytes[0] == 127;
  if (family != AF_INET6) return false;
  static constexpr uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(bytes.data(), kLoop, 16) == 0 || (is_v4_mapped() && bytes[12] == 127);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == AF_INET) return inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == AF_INET6) return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  if (family == kFamilyName) {
    uint32_t id;
    std::memcpy(&id, bytes.data(), 4);
    return std::string(name_of(id));
  }
  return "*";
}

std::optional<Address> Address::parse(std::string_view text) {
  if (text == "*") return Address{};
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  // Drop a zone index (fe80::1%eth0): it names an interface, not part of the address.
  if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);
  std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::string Endpoint::port_string() const {
  return port_name ? std::string(name_of(port_name)) : fmt::format("{}", port);
}

std::string Endpoint::to_string() const {
  if (addr.family == AF_INET6) return fmt::format("[{}]:{}", addr.to_string(), port_string());
  return fmt::format("{}:{}", addr.to_string(), port_string());
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  Endpoint ep;
  if (auto a = Address::parse(host)) {
    ep.addr = *a;
  } else if (host.find_first_of(":[]%") == std::string_view::npos ||
             host.ends_with("\xE2\x80\xA6")) {
    // A name, or an IPv6 address a dump cut to its column, kept as printed with "…" after it.
    auto n = Address::named(host);
    if (!n) return std::nullopt;
    ep.addr = *n;
  } else {
    return std::nullopt;
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec == std::errc() && p == port.data() + port.size()) {
    if (v > 65535) return std::nullopt;
    ep.port = static_cast<uint16_t>(v);
  } else {
    if (port.empty() || port.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
    uint32_t id = intern_name(port);
    if (!id || id > UINT16_MAX) return std::nullopt;
    ep.port_name = static_cast<uint16_t>(id);
  }
  return ep;
}

}  // namespace tw
