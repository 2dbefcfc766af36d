// SPDX-License-Identifier: Apache-2.0
#include "doctor/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "census/table.h"
#include "doctor/finding_json.h"
#include "model/host_facts_json.h"
#include "model/safe_text.h"

namespace tw {

using nlohmann::json;

namespace {

// `indent` before the first line, spaces as wide before the others.
std::string wrap(std::string_view text, std::string_view indent, size_t width) {
  return wrap_text(text, width, indent, std::string(indent.size(), ' '));
}

// Multi-line blocks (a config snippet) keep their lines; the first line is wrapped.
std::string block(std::string_view text, std::string_view indent, size_t width) {
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return wrap(text, indent, width);
  std::string out = wrap(text.substr(0, nl), indent, width);
  std::istringstream rest{std::string(text.substr(nl + 1))};
  for (std::string l; std::getline(rest, l);) out += fmt::format("{}  {}\n", indent, l);
  return out;
}

void details(const Finding& f, std::string_view netns, size_t width, std::string* out) {
  std::string sev(severity_name(f.severity));
  for (char& c : sev) c = static_cast<char>(std::toupper(c));
  *out += fmt::format("\n{} {}: {}\n", sev, f.id, f.title);
  if (!f.evidence.empty()) {
    *out += "  evidence:\n";
    for (auto& e : f.evidence) *out += wrap(e, "    - ", width);
  }
  if (!f.why.empty()) {
    *out += "  why:\n" + wrap(f.why, "    ", width);
    for (auto& s : f.sources) *out += wrap(s, "    source: ", width);
  }
  std::vector<SysctlSetting> now, review;
  for (auto& s : f.sysctls) (s.apply ? now : review).push_back(s);
  if (!f.commands.empty() || !now.empty()) {
    *out += "  fix now:\n";
    for (auto& c : f.commands) *out += "    " + c + "\n";
    for (auto& s : now) *out += "    " + sysctl_command(s, netns) + "\n";
  }
  if (!now.empty()) {
    *out +=
        fmt::format("  persistent ({}; `timewait doctor --apply` writes it):\n", kSysctlConfPath);
    for (auto& s : now) *out += fmt::format("    {} = {}\n", s.name, s.value);
  }
  // The application's fixes come before kernel settings to weigh: where they are the whole cure
  // (no command to run now), they are the fix now.
  if (!f.application.empty()) {
    *out += f.commands.empty() && now.empty() ? "  fix now, in the application:\n"
                                              : "  in the application:\n";
    for (auto& a : f.application) *out += block(a, "    ", width);
  }
  if (!review.empty()) {
    *out += "  weigh first (not applied by --apply):\n";
    for (auto& s : review) *out += "    " + sysctl_command(s, netns) + "\n";
  }
  if (!f.dont.empty()) {
    *out += "  don't:\n";
    for (auto& d : f.dont) *out += wrap(d, "    - ", width);
  }
  if (!f.topics.empty()) {
    std::string t;
    for (auto& x : f.topics) t += (t.empty() ? "" : ", ") + x;
    *out += fmt::format("  more: timewait explain {}\n", t);
  }
}

}  // namespace

std::string render_doctor_table(const DoctorReport& r) {
  const HostFacts& h = *r.facts;
  // The host's names come from the input (a snapshot, a dump): printable fields, and the whole
  // text once more at the end (model/safe_text.h).
  const auto p = [](const std::string& s) { return printable_line(s); };
  std::string out = fmt::format(
      "timewait doctor: {}{}{}{}, source {}{}\n", h.os.empty() ? "unknown OS" : p(h.os),
      h.kernel.empty() ? "" : " " + p(h.kernel), h.hostname.empty() ? "" : " on " + p(h.hostname),
      h.netns.empty() ? "" : ", " + netns_title(h), h.source.empty() ? "?" : p(h.source),
      h.captured_at.empty() ? "" : ", " + p(h.captured_at));
  if (!r.note.empty()) out += wrap("note: " + r.note, "", r.width);
  Table table({{"SEVERITY", false}, {"ID", false}, {"FINDING", false}});
  for (auto& f : *r.findings) table.add({std::string(severity_name(f.severity)), f.id, f.title});
  out += "\n" + table.render(r.width);
  Severity w = worst(*r.findings);
  for (auto& f : *r.findings)
    if (f.checked && (r.verbose || f.severity != Severity::kOk)) details(f, h.netns, r.width, &out);
  out += fmt::format("\nworst: {} (exit status {})\n", severity_name(w), exit_code_for(w));
  return printable(out);
}

json finding_to_json(const Finding& f, std::string_view netns) {
  json sysctls = json::array(), persistent = json::array();
  for (auto& s : f.sysctls) {
    sysctls.push_back({{"name", s.name},
                       {"value", s.value},
                       {"apply", s.apply},
                       {"command", sysctl_command(s, netns)}});
    if (s.apply) persistent.push_back(fmt::format("{} = {}", s.name, s.value));
  }
  return json{{"id", f.id},
              {"severity", severity_name(f.severity)},
              {"checked", f.checked},
              {"title", f.title},
              {"evidence", f.evidence},
              {"data", to_json(f.data)},
              {"why", f.why},
              {"sources", f.sources},
              {"fix",
               {{"commands", f.commands},
                {"sysctls", sysctls},
                {"persistent", persistent},
                {"persistent_file", kSysctlConfPath},
                {"application", f.application}}},
              {"dont", f.dont},
              {"topics", f.topics}};
}

json doctor_to_json(const DoctorReport& r) {
  const HostFacts& h = *r.facts;
  json findings = json::array();
  for (auto& f : *r.findings) findings.push_back(finding_to_json(f, h.netns));
  Severity w = worst(*r.findings);
  return json{{"schema", "timewait-doctor/1"},
              {"host", host_to_json(h)},
              {"note", r.note.empty() ? json(nullptr) : json(r.note)},
              {"worst", severity_name(w)},
              {"exit_status", exit_code_for(w)},
              {"findings", findings}};
}

}  // namespace tw
