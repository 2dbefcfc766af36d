#include "model/endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>

namespace tw {

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

bool Address::is_loopback() const {
  if (family == AF_INET) return bytes[0] == 127;
  if (family != AF_INET6) return false;
  static constexpr uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes.data(), kLoop, 16) == 0 ||
         (std::memcmp(bytes.data(), kMapped, 12) == 0 && bytes[12] == 127);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == AF_INET) return inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == AF_INET6) return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
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

std::string Endpoint::to_string() const {
  if (addr.family == AF_INET6) return fmt::format("[{}]:{}", addr.to_string(), port);
  return fmt::format("{}:{}", addr.to_string(), port);
}

}  // namespace tw
