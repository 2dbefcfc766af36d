// SPDX-License-Identifier: Apache-2.0
#include "exporter/host_header.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tw {

namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool hex(unsigned char c) { return std::isxdigit(c) != 0; }

// unreserved / sub-delims (RFC 3986 2.2, 2.3).
bool plain_char(unsigned char c) {
  static constexpr std::string_view kOther = "-._~!$&'()*+,;=";
  return std::isalnum(c) || kOther.find(static_cast<char>(c)) != std::string_view::npos;
}

// reg-name and IPv4address: plain characters and pct-encoded ones.
bool reg_name(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) return false;
      i += 2;
    } else if (!plain_char(s[i])) {
      return false;
    }
  }
  return true;
}

// The inside of an IP-literal: an IPv6 address (hex, ':' and a dotted IPv4 tail) or an
// IPvFuture ("v" hex "." then plain characters and ':').
bool ip_literal(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == 'v' || s[0] == 'V') {
    const size_t dot = s.find('.');
    return dot != std::string_view::npos && dot >= 2 && dot + 1 < s.size() &&
           std::all_of(s.begin() + 1, s.begin() + dot, hex) &&
           std::all_of(s.begin() + dot + 1, s.end(),
                       [](unsigned char c) { return plain_char(c) || c == ':'; });
  }
  return s.find(':') != std::string_view::npos &&
         std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return hex(c) || c == ':' || c == '.'; });
}

}  // namespace

bool valid_host_value(std::string_view v) {
  if (v.empty()) return true;
  if (v[0] == '[') {
    const size_t close = v.find(']');
    if (close == std::string_view::npos || !ip_literal(v.substr(1, close - 1))) return false;
    const std::string_view rest = v.substr(close + 1);
    return rest.empty() || (rest[0] == ':' && all_digits(rest.substr(1)));
  }
  const size_t colon = v.rfind(':');
  if (colon == std::string_view::npos) return reg_name(v);
  return reg_name(v.substr(0, colon)) && all_digits(v.substr(colon + 1));
}

std::optional<std::string> host_problem(std::string_view version, size_t count,
                                        std::string_view value) {
  if (count > 1) return "more than one Host header field";
  if (count == 0)
    return version == "HTTP/1.1" ? std::optional<std::string>(
                                       "an HTTP/1.1 request needs a Host "
                                       "header field")
                                 : std::nullopt;
  if (!valid_host_value(value)) return "the Host header field is not host[:port]";
  return std::nullopt;
}

}  // namespace tw
