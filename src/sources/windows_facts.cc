// SPDX-License-Identifier: Apache-2.0
#include "sources/windows_facts.h"

#include <fmt/format.h>

#include <charconv>

#include "sources/windows_settings.h"

namespace tw {

std::string add_registry_values(const RegistryFn& read, HostFacts* facts) {
  for (const char* name : kWinRegistryValues) {
    auto v = read(name);
    if (!v)
      return fmt::format(
          "registry HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters not read: {}",
          v.error());
    if (*v) facts->windows_params[name] = **v;
  }
  facts->windows_params[kWinRegistryRead] = 1;
  return "";
}

std::string add_dynamic_ports(const CommandFn& run, HostFacts* facts) {
  std::string missing;
  for (const char* family : {"ipv4", "ipv6"}) {
    const std::string cmd = fmt::format("netsh int {} show dynamicport tcp", family);
    auto out = run(cmd);
    auto params = out ? parse_netsh_dynamicport(*out)
                      : Result<std::map<std::string, int64_t>>(fail(out.error()));
    if (!params) {
      if (!missing.empty()) missing += "; ";
      missing += fmt::format("`{}`: {}", cmd, params.error());
      continue;
    }
    // The IPv4 range is the one port pressure measures (census/port_pool); IPv6 has its own.
    const std::string suffix = family == std::string("ipv6") ? "IPv6" : "";
    for (auto& [k, v] : *params) facts->windows_params[k + suffix] = v;
  }
  return missing.empty() ? "" : "dynamic port range not read: " + missing;
}

std::string add_event_counts(const EventCountFn& count, int64_t seconds, HostFacts* facts) {
  std::map<std::string, int64_t> found;
  for (auto [id, key] : {std::pair{4227, kWinEvent4227}, std::pair{4231, kWinEvent4231}}) {
    auto n = count(id, seconds);
    if (!n) return fmt::format("events 4227/4231 not counted: {}", n.error());
    found[key] = *n;
  }
  for (auto& [k, v] : found) facts->windows_params[k] = v;
  facts->windows_params[kWinEventWindow] = seconds;
  return "";
}

std::wstring event_query(int event_id, int64_t seconds) {
  std::string q = fmt::format(
      "*[System[Provider[@Name='Tcpip'] and (EventID={}) and "
      "TimeCreated[timediff(@SystemTime) <= {}]]]",
      event_id, seconds * 1000);
  return std::wstring(q.begin(), q.end());
}

Result<int64_t> parse_event_window(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const std::string_view unit(p, text.data() + text.size());
  int64_t scale = unit.empty() || unit == "s" ? 1
                  : unit == "m"               ? 60
                  : unit == "h"               ? 3600
                  : unit == "d"               ? 86400
                                              : 0;
  if (ec != std::errc() || text.empty() || text[0] == '-' || scale == 0 || v < 1 ||
      v > 366 * 86400 / scale)
    return fail(fmt::format(
        "--events '{}': give how far back to count, 1s to 366d, as N with s, m, h or d (24h)",
        text));
  return v * scale;
}

}  // namespace tw
