// SPDX-License-Identifier: Apache-2.0
#include "import/text_fields.h"

#include <cctype>
#include <charconv>
#include <string>

#include "import/services.h"
#include "model/portable.h"

namespace tw {

size_t split_fields(std::string_view line, std::string_view* out, size_t max) {
  size_t n = 0, i = 0;
  while (n < max) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    out[n++] = line.substr(b, i - b);
  }
  return n;
}

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 10);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_u32(std::string_view s, uint32_t* out) {
  uint64_t v;
  if (!parse_u64(s, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

namespace {

// Host and service names as resolvers print them: letters, digits, '-', '.', '_' (and '+' in
// service names), with at least one letter, so that a broken number is not taken for a name.
bool name_like(std::string_view t, bool service) {
  bool alpha = false;
  for (char c : t) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalpha(u)) {
      alpha = true;
    } else if (!std::isdigit(u) && c != '-' && c != '.' && c != '_' && !(service && c == '+')) {
      return false;
    }
  }
  return alpha && t.front() != '-' && t.front() != '.';
}

EndpointError parse_port(std::string_view p, Endpoint* ep) {
  ep->port_name = 0;
  if (p == "*") {
    ep->port = 0;
    return EndpointError::kNone;
  }
  uint64_t v;
  if (parse_u64(p, &v)) {
    if (v > 65535) return EndpointError::kBadPort;
    ep->port = static_cast<uint16_t>(v);
    return EndpointError::kNone;
  }
  // "http", "ssh": the dump was taken without -n and ports were turned into service names.
  if (p.empty() || !name_like(p, true)) return EndpointError::kBadPort;
  if (auto port = service_port(p)) {
    ep->port = *port;
    return EndpointError::kNone;
  }
  uint32_t id = intern_name(p);
  if (!id) return EndpointError::kTooManyNames;
  ep->port = 0;
  ep->port_name = static_cast<uint16_t>(id);
  return EndpointError::kNone;
}

EndpointError parse_address(std::string_view a, uint8_t wildcard_family, Address* out) {
  if (a == "*") {
    *out = Address{};
    out->family = wildcard_family;
    return EndpointError::kNone;
  }
  // A scope after the brackets, as ss prints it: [fe80::1]%eth0.
  if (!a.empty() && a.front() == '[') {
    size_t close = a.find(']');
    if (close != std::string_view::npos) a = a.substr(0, close + 1);
  }
  auto addr = Address::parse(a);
  if (!addr) {
    // A host name instead of an address: captured without -n. It is kept as printed.
    if (a.empty() || !name_like(a, false)) return EndpointError::kBadAddress;
    addr = Address::named(a);
    if (!addr) return EndpointError::kTooManyNames;
  }
  *out = *addr;
  return EndpointError::kNone;
}

}  // namespace

EndpointError parse_colon_endpoint(std::string_view text, Endpoint* ep) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return EndpointError::kNoSeparator;
  if (auto e = parse_port(text.substr(colon + 1), ep); e != EndpointError::kNone) return e;
  return parse_address(text.substr(0, colon), AF_INET6, &ep->addr);
}

EndpointError parse_dot_endpoint(std::string_view text, Endpoint* ep, uint8_t wildcard_family) {
  size_t dot = text.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return EndpointError::kNoSeparator;
  if (auto e = parse_port(text.substr(dot + 1), ep); e != EndpointError::kNone) return e;
  return parse_address(text.substr(0, dot), wildcard_family, &ep->addr);
}

bool keep_cut(std::string_view host, std::string_view port, Endpoint* ep) {
  if (!host.empty()) {
    auto a = Address::named(std::string(host) + std::string(kCutMark));
    if (!a) return false;
    ep->addr = *a;
  }
  if (!port.empty()) {
    uint32_t id = intern_name(std::string(port) + std::string(kCutMark));
    if (!id || id > UINT16_MAX) return false;
    ep->port = 0;
    ep->port_name = static_cast<uint16_t>(id);
  }
  return true;
}

Address v4_mapped(const Address& a) {
  if (a.family != AF_INET) return a;
  uint8_t b[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(b + 12, a.bytes.data(), 4);
  return Address::v6(b);
}

std::optional<TcpState> import_state(std::string_view name) {
  if (auto s = parse_state(name)) return s;
  std::string f;
  for (char c : name)
    if (c != '-' && c != '_')
      f.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // Windows: DELETE_TCB is a connection being torn down; Bound (PowerShell) a socket bound to a
  // port but neither listening nor connected, which still holds that port. ss (Linux 6.9+):
  // BOUND-INACTIVE likewise. NEW-SYN-RECV is a request socket, reported as SYN-RECV.
  if (f == "deletetcb" || f == "bound" || f == "boundinactive") return TcpState::kClose;
  if (f == "newsynrecv") return TcpState::kSynRecv;
  return std::nullopt;
}

std::optional<int64_t> parse_ss_timer(std::string_view t) {
  int64_t ms = 0;
  auto number = [&](int64_t* v) {
    size_t i = 0;
    *v = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      if (*v > 100'000'000) return false;
      *v = *v * 10 + (t[i] - '0');
      ++i;
    }
    if (i == 0) return false;
    t.remove_prefix(i);
    return true;
  };
  if (t.empty()) return std::nullopt;
  while (!t.empty()) {
    int64_t v;
    if (!number(&v)) return std::nullopt;
    if (t.starts_with("min")) {
      ms += v * 60'000;
      t.remove_prefix(3);
    } else if (t.starts_with("sec")) {
      ms += v * 1000;
      t.remove_prefix(3);
    } else if (t.starts_with("ms")) {
      ms += v;
      t.remove_prefix(2);
    } else if (t.starts_with(".")) {
      // "5.123ms": seconds, then milliseconds.
      ms += v * 1000;
      t.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  return ms;
}

}  // namespace tw
