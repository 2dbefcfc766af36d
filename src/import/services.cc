// SPDX-License-Identifier: Apache-2.0
#include "import/services.h"

#include <fstream>
#include <map>
#include <mutex>
#include <unordered_map>

#include "import/text_fields.h"

namespace tw {

namespace {

// The tcp entries of Debian's netbase /etc/services for the services most dumps show: what a
// machine without that file still knows. Names and ports as netbase spells them.
constexpr std::pair<std::string_view, uint16_t> kBuiltin[] = {
    {"ftp-data", 20},        {"ftp", 21},          {"ssh", 22},
    {"telnet", 23},          {"smtp", 25},         {"mail", 25},
    {"domain", 53},          {"http", 80},         {"www", 80},
    {"kerberos", 88},        {"pop3", 110},        {"sunrpc", 111},
    {"portmapper", 111},     {"epmap", 135},       {"loc-srv", 135},
    {"netbios-ssn", 139},    {"imap2", 143},       {"imap", 143},
    {"snmp", 161},           {"bgp", 179},         {"ipp", 631},
    {"ldap", 389},           {"https", 443},       {"microsoft-ds", 445},
    {"submission", 587},     {"ldaps", 636},       {"rsync", 873},
    {"imaps", 993},          {"pop3s", 995},       {"openvpn", 1194},
    {"ms-sql-s", 1433},      {"nfs", 2049},        {"mysql", 3306},
    {"ms-wbt-server", 3389}, {"postgresql", 5432}, {"postgres", 5432},
    {"x11", 6000},           {"redis", 6379},      {"http-alt", 8080},
    {"webcache", 8080},      {"git", 9418},
};

constexpr uint16_t kAmbiguous = 0;  // port 0 is no service: marks a name with two ports

using Table = std::unordered_map<std::string, uint16_t>;

void add(Table* t, std::string_view name, uint16_t port) {
  auto [it, fresh] = t->emplace(std::string(name), port);
  if (!fresh && it->second != port) it->second = kAmbiguous;
}

Table load(const std::string& path) {
  Table t;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = line;
    l = l.substr(0, l.find('#'));
    std::string_view f[16];
    size_t n = split_fields(l, f, 16);
    if (n < 2) continue;
    size_t slash = f[1].find('/');
    if (slash == std::string_view::npos || f[1].substr(slash + 1) != "tcp") continue;
    uint32_t port;
    if (!parse_u32(f[1].substr(0, slash), &port) || port == 0 || port > 65535) continue;
    for (size_t i = 0; i < n; ++i)
      if (i != 1) add(&t, f[i], static_cast<uint16_t>(port));
  }
  // The built-in names fill in what the file lacks; the file wins where both name a port.
  for (auto [name, port] : kBuiltin) t.emplace(std::string(name), port);
  return t;
}

}  // namespace

std::optional<uint16_t> service_port(std::string_view name, const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, Table>* tables = new std::map<std::string, Table>;
  std::lock_guard lock(mu);
  auto it = tables->find(path);
  if (it == tables->end()) it = tables->emplace(path, load(path)).first;
  auto p = it->second.find(std::string(name));
  if (p == it->second.end() || p->second == kAmbiguous) return std::nullopt;
  return p->second;
}

}  // namespace tw
