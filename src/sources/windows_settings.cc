// SPDX-License-Identifier: Apache-2.0
#include "sources/windows_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "os/read_file.h"

namespace tw {

namespace {

bool looks_utf16le(std::string_view b) {
  if (b.size() >= 2 && uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xFE) return true;
  // No BOM: ASCII text in UTF-16LE has a zero in every odd byte.
  return b.size() >= 4 && b[1] == 0 && b[3] == 0 && b[0] != 0;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string text_from_bytes(std::string_view b) {
  std::string out;
  if (looks_utf16le(b)) {
    size_t i = (uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xFE) ? 2 : 0;
    // Surrogate pairs only occur outside the BMP, never in these files' keys or numbers: each
    // half becomes U+FFFD-like bytes, which is harmless here.
    for (; i + 1 < b.size(); i += 2)
      append_utf8(uint8_t(b[i]) | (uint32_t(uint8_t(b[i + 1])) << 8), &out);
  } else {
    if (b.size() >= 3 && b.substr(0, 3) == "\xEF\xBB\xBF") b.remove_prefix(3);
    out = std::string(b);
  }
  out.erase(std::remove(out.begin(), out.end(), '\r'), out.end());
  return out;
}

Result<std::map<std::string, int64_t>> parse_reg_export(std::string_view bytes) {
  std::string text = text_from_bytes(bytes);
  std::istringstream in(text);
  std::map<std::string, int64_t> out;
  bool in_key = false, found = false;
  for (std::string line; std::getline(in, line);) {
    std::string_view l = trim(line);
    if (l.starts_with("[")) {
      std::string key = lower(l);
      // HKEY_LOCAL_MACHINE\...\Tcpip\Parameters exactly; its subkeys (Interfaces, ...) differ.
      in_key = key.ends_with("\\services\\tcpip\\parameters]");
      found = found || in_key;
      continue;
    }
    if (!in_key || !l.starts_with("\"")) continue;
    size_t close = l.find('"', 1);
    if (close == std::string_view::npos) continue;
    std::string name(l.substr(1, close - 1));
    std::string_view rest = trim(l.substr(close + 1));
    if (!rest.starts_with("=")) continue;
    rest = trim(rest.substr(1));
    if (!rest.starts_with("dword:")) continue;  // strings and binaries carry nothing we use
    rest.remove_prefix(6);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v, 16);
    if (ec != std::errc()) continue;
    out[name] = v;
  }
  if (!found)
    return fail(
        "the file is not a `reg export` of HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\"
        "Parameters (that key is not in it); make one with: reg export "
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters tcpip.reg");
  return out;
}

Result<std::map<std::string, int64_t>> parse_netsh_dynamicport(std::string_view bytes) {
  std::string text = text_from_bytes(bytes);
  std::istringstream in(text);
  std::map<std::string, int64_t> out;
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = lower(trim(std::string_view(line).substr(0, colon)));
    std::string_view val = trim(std::string_view(line).substr(colon + 1));
    int64_t v = 0;
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
    if (ec != std::errc()) continue;
    if (key == "start port") out["DynamicPortStart"] = v;
    if (key == "number of ports") out["DynamicPortNumber"] = v;
  }
  if (!out.count("DynamicPortStart") || !out.count("DynamicPortNumber"))
    return fail(
        "no \"Start Port\" and \"Number of Ports\" lines found; give the output of "
        "`netsh int ipv4 show dynamicport tcp` (English)");
  if (out["DynamicPortStart"] < 1 || out["DynamicPortNumber"] < 1 ||
      out["DynamicPortStart"] + out["DynamicPortNumber"] - 1 > 65535)
    return fail(fmt::format("dynamic port range start {} with {} ports does not fit in 1-65535",
                            out["DynamicPortStart"], out["DynamicPortNumber"]));
  return out;
}

Result<std::string> read_whole_file(const std::string& path) {
  auto text = os::read_file(path);
  if (!text && errno != EFBIG)
    return fail(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  return text;
}

}  // namespace tw
