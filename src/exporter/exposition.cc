// SPDX-License-Identifier: Apache-2.0
#include "exporter/exposition.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace tw {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

std::string escape(std::string_view v, bool quote) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }
bool valid_label_name(std::string_view name) {
  // Names starting with __ are reserved for Prometheus' own use.
  return valid_name(name, false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view v) { return escape(v, true); }
std::string escape_help(std::string_view v) { return escape(v, false); }

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0)
    return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

void Exposition::family(const std::string& name, MetricType type, std::string help) {
  if (!valid_metric_name(name)) throw std::logic_error("bad metric name " + name);
  if (type == MetricType::kCounter && !name.ends_with("_total"))
    throw std::logic_error("a counter's name ends in _total: " + name);
  if (index_.count(name)) return;
  index_[name] = families_.size();
  families_.push_back(Family{name, type, std::move(help), {}, {}});
}

void Exposition::add(const std::string& family, const Labels& labels, double value) {
  auto it = index_.find(family);
  if (it == index_.end()) throw std::logic_error("undeclared metric family " + family);
  Family& f = families_[it->second];
  std::string set;
  for (const Label& l : labels) {
    if (!valid_label_name(l.name)) throw std::logic_error("bad label name " + l.name);
    if (!set.empty()) set += ',';
    set += fmt::format("{}=\"{}\"", l.name, escape_label_value(l.value));
  }
  if (!f.label_sets.insert(set).second) {
    ++duplicates_;
    return;
  }
  f.lines.push_back(set.empty() ? fmt::format("{} {}", f.name, format_value(value))
                                : fmt::format("{}{{{}}} {}", f.name, set, format_value(value)));
}

std::string Exposition::text() const {
  std::string out;
  for (const Family& f : families_) {
    if (f.lines.empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escape_help(f.help), f.name,
                       f.type == MetricType::kCounter ? "counter" : "gauge");
    for (const auto& l : f.lines) {
      out += l;
      out += '\n';
    }
  }
  return out;
}

size_t Exposition::series() const {
  size_t n = 0;
  for (const Family& f : families_) n += f.lines.size();
  return n;
}

}  // namespace tw
