// SPDX-License-Identifier: Apache-2.0
#include "sources/node_ports.h"

#include <algorithm>
#include <charconv>

namespace tw {

namespace {

std::optional<int> number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

void add_port(std::string_view s, NodePorts* out) {
  if (auto p = number(s); p && *p >= 1 && *p <= 65535)
    out->in_use.push_back(static_cast<uint16_t>(*p));
}

void seen(const char* where, NodePorts* out) {
  out->kube_proxy = true;
  if (std::find(out->seen_in.begin(), out->seen_in.end(), where) == out->seen_in.end())
    out->seen_in.push_back(where);
}

void finish(NodePorts* out) {
  std::sort(out->in_use.begin(), out->in_use.end());
  out->in_use.erase(std::unique(out->in_use.begin(), out->in_use.end()), out->in_use.end());
}

// Lines of `text`, trimmed of surrounding blanks (tabs, spaces, CR).
template <class F>
void each_line(std::string_view text, F f) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    f(line);
  }
}

// Words of a rule: separated by blanks (and by `extra`), a double-quoted comment one word.
std::vector<std::string_view> words(std::string_view line, std::string_view extra = "") {
  std::vector<std::string_view> out;
  size_t i = 0;
  auto sep = [&](char c) {
    return c == ' ' || c == '\t' || extra.find(c) != std::string_view::npos;
  };
  while (i < line.size()) {
    if (sep(line[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (line[i] == '"') {
      size_t end = line.find('"', i + 1);
      i = end == std::string_view::npos ? line.size() : end + 1;
    } else {
      while (i < line.size() && !sep(line[i])) ++i;
    }
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

void add_iptables_node_ports(std::string_view text, NodePorts* out) {
  each_line(text, [&](std::string_view line) {
    if (line.starts_with(":KUBE-NODEPORTS ") || line == "-N KUBE-NODEPORTS") {
      seen("iptables", out);
      return;
    }
    if (!line.starts_with("-A KUBE-NODEPORTS ")) return;
    seen("iptables", out);
    auto w = words(line);
    bool tcp = false;
    std::string_view port;
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      if (w[i] == "-p" && w[i + 1] == "tcp") tcp = true;
      if (w[i] == "--dport") port = w[i + 1];
    }
    if (tcp) add_port(port, out);
  });
  finish(out);
}

void add_nft_node_ports(std::string_view text, NodePorts* out) {
  // The blocks we are in: "table ip kube-proxy", "map service-nodeports", "chain KUBE-NODEPORTS",
  // or "" for an anonymous brace (a multi-line `elements = { … }`).
  std::vector<std::string> blocks;
  auto in_table = [&](std::string_view name) {
    for (const auto& b : blocks)
      if (b.starts_with("table ") && b.ends_with(" " + std::string(name))) return true;
    return false;
  };
  auto innermost = [&]() -> std::string_view {
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
      if (!it->empty()) return *it;
    return "";
  };
  each_line(text, [&](std::string_view line) {
    auto w = words(line, ",{}");
    if (!w.empty() && (w[0] == "table" || w[0] == "chain" || w[0] == "map" || w[0] == "set") &&
        line.ends_with("{")) {
      std::string name;
      for (size_t i = 0; i < w.size(); ++i) name += (i ? " " : "") + std::string(w[i]);
      blocks.push_back(name);
      if (in_table("kube-proxy")) seen("nftables", out);
      return;
    }
    std::string_view block = innermost();
    bool chain = block == "chain KUBE-NODEPORTS";
    bool map = in_table("kube-proxy") &&
               (block == "map service-nodeports" || block == "map no-endpoint-nodeports");
    if (chain || map) seen("nftables", out);
    for (size_t i = 0; i + 2 < w.size(); ++i) {
      if (map && w[i] == "tcp" && w[i + 1] == ".") add_port(w[i + 2], out);
      if (chain && w[i] == "tcp" && w[i + 1] == "dport") add_port(w[i + 2], out);
    }
    // Braces opened or closed on this line (none hide in kube-proxy's quoted comments).
    int depth = 0;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '{') ++depth;
      if (c == '}') --depth;
    }
    for (; depth > 0; --depth) blocks.emplace_back();
    for (; depth < 0 && !blocks.empty(); ++depth) blocks.pop_back();
  });
  finish(out);
}

std::optional<std::pair<uint16_t, uint16_t>> parse_node_port_range(std::string_view text) {
  size_t sep = text.find_first_of("-+");
  auto low = number(text.substr(0, sep));
  if (!low || *low < 1 || *low > 65535) return std::nullopt;
  int high = *low;
  if (sep != std::string_view::npos) {
    auto rest = number(text.substr(sep + 1));
    if (!rest) return std::nullopt;
    high = text[sep] == '+' ? *low + *rest : *rest;
  }
  if (high < *low || high > 65535) return std::nullopt;
  return std::pair<uint16_t, uint16_t>(static_cast<uint16_t>(*low), static_cast<uint16_t>(high));
}

std::optional<std::string> node_port_range_arg(const std::vector<std::string>& args) {
  const std::string flag = "--service-node-port-range";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].starts_with(flag + "=")) return args[i].substr(flag.size() + 1);
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
  }
  return std::nullopt;
}

}  // namespace tw
