// SPDX-License-Identifier: Apache-2.0
#include "cli/option_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>
#include <string>

namespace tw::cli {

namespace {
// The whole text as a number (no trailing characters, no overflow).
template <class T>
bool parse_all(const std::string& text, T* v) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, *v);
  return ec == std::errc() && p == end;
}
}  // namespace

CLI::Validator whole_number(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        int64_t v = 0;
        if (parse_all(text, &v) && v >= lo && v <= hi) return "";
        return fmt::format("'{}' is not a whole number from {} to {}", text, lo, hi);
      },
      fmt::format("{}-{}", lo, hi));
}

namespace {
// A finite number from lo to hi; `what` names it in the message ("a number of seconds").
CLI::Validator finite_in(double lo, double hi, std::string what, std::string description) {
  return CLI::Validator(
      [lo, hi, what](std::string& text) -> std::string {
        double v = 0;
        if (parse_all(text, &v) && std::isfinite(v) && v >= lo && v <= hi) return "";
        return fmt::format("'{}' is not {} from {} to {}", text, what, lo, hi);
      },
      std::move(description));
}
}  // namespace

CLI::Validator seconds(double lo, double hi) {
  return finite_in(lo, hi, "a number of seconds", fmt::format("SECONDS {}-{}", lo, hi));
}

CLI::Validator number(double lo, double hi) {
  return finite_in(lo, hi, "a number", fmt::format("{}-{}", lo, hi));
}

std::string given(const CLI::App* sub, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (sub->count(std::string(n)) > 0) return std::string(n);
  return "";
}

Result<SourceKind> parse_source(const std::string& s) {
  if (s == "auto") return SourceKind::kAuto;
  if (s == "netlink") return SourceKind::kNetlink;
  if (s == "proc") return SourceKind::kProc;
  if (s == "bpf") return SourceKind::kBpf;
  return fail(fmt::format("unknown source '{}'; use auto, bpf, netlink or proc", s));
}

namespace {
std::set<const CLI::Option*>& empty_allowed() {
  static std::set<const CLI::Option*> s;
  return s;
}
}  // namespace

CLI::Option* allow_empty_value(CLI::Option* o) {
  empty_allowed().insert(o);
  return o;
}

void refuse_empty_values(CLI::App* app) {
  for (CLI::Option* o : app->get_options()) {
    if (o->get_items_expected_min() == 0) continue;  // a flag, or a value that may be left out
    if (empty_allowed().count(o)) continue;
    o->check(CLI::Validator(
        [](std::string& text) -> std::string {
          if (!text.empty()) return "";
          return "an empty value means nothing here; give one, or leave the option out";
        },
        "", "non-empty"));
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; }))
    refuse_empty_values(sub);
}

namespace {
constexpr std::string_view kLinuxOnly = " (Linux only)";
}

void mark_linux_only(CLI::App* sub, std::initializer_list<std::string_view> names) {
#ifdef _WIN32
  for (std::string_view n : names)
    if (CLI::Option* o = sub->get_option_no_throw(std::string(n)))
      o->description(o->get_description() + std::string(kLinuxOnly));
#else
  (void)sub;
  (void)names;
#endif
}

std::string linux_only_given(const CLI::App* sub) {
  for (const CLI::Option* o : sub->get_options())
    if (o->get_description().ends_with(kLinuxOnly) && o->count() > 0)
      return fmt::format(
          "{} needs Linux (network namespaces, eBPF, /proc/sys); the Windows "
          "build of timewait reads this host only: leave {} out",
          o->get_name(), o->get_name());
  return "";
}

}  // namespace tw::cli
