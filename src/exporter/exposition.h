// SPDX-License-Identifier: Apache-2.0
// The Prometheus text exposition format (version 0.0.4): metric families with HELP and TYPE
// once each, their series grouped under them whatever order they were added in, label values and
// HELP text escaped as the format requires, no duplicate series, a final newline.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tw {

// The content type a scraper expects for this format.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kGauge, kCounter };

struct Label {
  std::string name, value;
};
using Labels = std::vector<Label>;

class Exposition {
 public:
  // Declares a family. A counter's name ends in _total (the format's rule; a wrong name is a
  // programming error and throws std::logic_error). Declaring a name again keeps the first.
  void family(const std::string& name, MetricType type, std::string help);
  // One series of a declared family (std::logic_error otherwise). A second series with the same
  // labels is dropped: a scraper would reject the whole exposition for it.
  void add(const std::string& family, const Labels& labels, double value);

  // Families in the order declared; a family without series is left out.
  std::string text() const;
  size_t series() const;
  size_t duplicates() const { return duplicates_; }

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::string> lines;
    std::set<std::string> label_sets;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t, std::less<>> index_;
  size_t duplicates_ = 0;
};

// A label value with backslash, double quote and line feed escaped (\\, \", \n).
std::string escape_label_value(std::string_view v);
// HELP text with backslash and line feed escaped.
std::string escape_help(std::string_view v);
// A sample value: integers as integers (exact up to 2^53), NaN, +Inf, -Inf, else the shortest
// text that reads back as the same double.
std::string format_value(double v);
// A valid metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no colon).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace tw
