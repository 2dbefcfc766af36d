// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/portable.h"
#include "sources/file_lock.h"
#include "sources/file_trust.h"
#include "sources/output_file.h"

namespace tw {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string fold(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\t' || c == '\n') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<int64_t> as_int(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `name = value` lines of a sysctl.d file, in order (comments dropped).
std::vector<std::pair<std::string, std::string>> conf_entries(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto t = fold(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    out.emplace_back(fold(t.substr(0, eq)), fold(t.substr(eq + 1)));
  }
  return out;
}

// Why a name = value pair of a backup cannot be restored by timewait, or "".
std::string unmanaged(const std::string& name, const std::optional<std::string>& value) {
  if (!is_managed_sysctl(name))
    return fmt::format("it names {}, which `doctor --apply` never writes", name);
  if (value && !is_sysctl_value(*value))
    return fmt::format("its value for {} is not one the kernel prints", name);
  return "";
}

// Why `text` is not a sysctl.d file --apply could have written, or "": comments and the settings
// it writes, with values it does not refuse.
std::string conf_problem(const std::string& text) {
  for (auto& [name, value] : conf_entries(text)) {
    if (auto why = unmanaged(name, value); !why.empty()) return why;
    if (auto harm = harmful_reason(name, value, std::nullopt))
      return fmt::format("it sets {} = {} ({})", name, value, *harm);
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto t = fold(line);
    if (!t.empty() && t[0] != '#' && t[0] != ';' && t.find('=') == std::string::npos)
      return fmt::format("it has a line that is not a setting ({})", t.substr(0, 80));
  }
  return "";
}

std::string proc_sys_path(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  for (size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  return path;
}

// Floors below which a value is harmful whatever it replaces (a revert restores old values, so
// "lower than now" cannot catch these there).
constexpr int64_t kMinTimeWaitBuckets = 1000;
constexpr int64_t kMinRangePorts = 100;  // 1.7 new connections a second to one destination
constexpr int64_t kMinSomaxconn = 128;

// The number of ports of an ip_local_port_range value ("32768\t60999"), nullopt if it is not one.
std::optional<int64_t> range_ports(const std::string& value) {
  std::istringstream in(value);
  int64_t lo = 0, hi = 0;
  std::string rest;
  if (!(in >> lo >> hi) || (in >> rest) || lo < 1 || hi > 65535 || lo > hi) return std::nullopt;
  return hi - lo + 1;
}

}  // namespace

std::optional<std::string> harmful_reason(const std::string& name, const std::string& value,
                                          const std::optional<std::string>& current) {
  auto v = as_int(value);
  auto cur = as_int(current);
  if (name == "net.ipv4.tcp_tw_recycle" && value != "0")
    return "tcp_tw_recycle drops SYNs from clients behind NAT (removed in Linux 4.12)";
  if (name == "net.ipv4.tcp_timestamps" && value == "0")
    return "turning timestamps off disables PAWS and tcp_tw_reuse";
  if (name == "net.ipv4.tcp_max_tw_buckets" && v && *v < kMinTimeWaitBuckets)
    return fmt::format(
        "a tcp_max_tw_buckets under {} makes connections close without TIME_WAIT (late "
        "segments then reach new connections)",
        kMinTimeWaitBuckets);
  if (name == "net.ipv4.tcp_max_tw_buckets" && v && cur && *v < *cur)
    return "lowering tcp_max_tw_buckets makes connections close without TIME_WAIT";
  if (name == "net.ipv4.ip_local_port_range") {
    auto ports = range_ports(value);
    if (!ports) return "it is not a port range (LOW HIGH, from 1 to 65535, LOW <= HIGH)";
    if (*ports < kMinRangePorts)
      return fmt::format(
          "a range of {} port{} runs out at {} new connection{} a second to one destination "
          "(each port stays in TIME_WAIT 60 s)",
          *ports, *ports == 1 ? "" : "s", std::max<int64_t>(1, *ports / 60),
          *ports / 60 > 1 ? "s" : "");
    auto now = current ? range_ports(*current) : std::nullopt;
    if (now && *ports < *now)
      return fmt::format("a narrower range ({} ports, now {}) runs out of ports sooner", *ports,
                         *now);
  }
  if (name == "net.core.somaxconn" && v && *v < kMinSomaxconn)
    return fmt::format(
        "a listen backlog under {} (Linux's default before 5.4) drops connections in any burst",
        kMinSomaxconn);
  if (name == "net.ipv4.tcp_fin_timeout")
    return "tcp_fin_timeout governs orphaned FIN_WAIT2, not TIME_WAIT; the doctor never changes it";
  if (name == "net.ipv4.tcp_tw_reuse_delay" && v && *v < 1000)
    return "a tcp_tw_reuse_delay below 1000 ms can break PAWS for peers with a slower clock";
  if (name == "net.ipv4.tcp_syncookies" && value == "0")
    return "turning SYN cookies off exposes listeners to SYN floods";
  if (name == "net.netfilter.nf_conntrack_tcp_timeout_time_wait" && v && *v < 60)
    return "a conntrack TIME_WAIT shorter than Linux's 60 s drops late segments";
  return std::nullopt;
}

Result<ApplyPlan> plan_apply(const std::vector<Finding>& findings, const HostFacts& facts,
                             const ApplyPaths& paths, bool persist) {
  ApplyPlan plan;
  plan.persist = persist;
  std::map<std::string, std::string> chosen;
  for (const Finding& f : findings)
    for (const SysctlSetting& s : f.sysctls) {
      if (!s.apply) continue;
      const std::string value = fold(s.value);
      if (auto it = chosen.find(s.name); it != chosen.end()) {
        if (it->second != value)
          plan.refused.push_back(fmt::format("{}={} ({}): {} asks for {} first", s.name, value,
                                             f.id, "a worse finding", it->second));
        continue;
      }
      auto current = facts.sysctl(s.name);
      if (auto why = harmful_reason(s.name, value, current)) {
        plan.refused.push_back(fmt::format("{}={} ({}): {}", s.name, value, f.id, *why));
        continue;
      }
      chosen[s.name] = value;
      if (current && fold(*current) == value) continue;
      plan.changes.push_back({s.name, current, value, f.id});
    }
  auto old = persist ? slurp(paths.conf()) : std::nullopt;
  plan.conf_existed = old.has_value();
  plan.old_conf = old.value_or("");
  // The backup keeps this text for --revert, which restores only what --apply could have written.
  if (auto why = conf_problem(plan.old_conf); !why.empty() && !plan.changes.empty())
    return fail(fmt::format(
        "{} holds what `doctor --apply` never writes: {}; --revert could not put it back, so "
        "nothing is applied: move such settings to another file in /etc/sysctl.d first",
        paths.conf(), why));
  if (plan.changes.empty() || !persist) {
    plan.new_conf = plan.old_conf;
    return plan;
  }
  // This file is ours: rebuild it from its entries plus the changes, each with its reason.
  std::vector<std::pair<std::string, std::string>> entries = conf_entries(plan.old_conf);
  std::map<std::string, std::string> why;
  for (auto& c : plan.changes) {
    why[c.name] = c.finding;
    bool found = false;
    for (auto& [k, v] : entries)
      if (k == c.name) {
        v = c.new_value;
        found = true;
      }
    if (!found) entries.emplace_back(c.name, c.new_value);
  }
  std::string text =
      "# Written by `timewait doctor --apply`; `timewait doctor --revert` restores the values it\n"
      "# replaced. Each setting names the doctor finding behind it (`timewait doctor` shows "
      "why).\n";
  for (auto& [k, v] : entries) {
    if (why.count(k)) text += fmt::format("# {}\n", why[k]);
    text += fmt::format("{} = {}\n", k, v);
  }
  plan.new_conf = text;
  return plan;
}

std::string render_diff(const std::string& path, const std::string& a, const std::string& b) {
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    std::istringstream in(t);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  auto x = lines(a), y = lines(b);
  // Longest common subsequence: these files are a few lines long.
  std::vector<std::vector<int>> L(x.size() + 1, std::vector<int>(y.size() + 1));
  for (size_t i = x.size(); i-- > 0;)
    for (size_t j = y.size(); j-- > 0;)
      L[i][j] = x[i] == y[j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
  std::string out = fmt::format("--- {}\n+++ {}\n", path, path);
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (i < x.size() && j < y.size() && x[i] == y[j]) {
      out += " " + x[i++] + "\n";
      ++j;
    } else if (i < x.size() && (j == y.size() || L[i + 1][j] >= L[i][j + 1])) {
      out += "-" + x[i++] + "\n";  // removals before additions, as diff -u shows them
    } else {
      out += "+" + y[j++] + "\n";
    }
  }
  return out;
}

Status write_proc_sysctl(const std::string& name, const std::string& value) {
  const std::string path = proc_sys_path(name);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(fmt::format("cannot open {} to write: {}{}", path, std::strerror(errno),
                            errno == EACCES || errno == EPERM ? " (run as root)" : ""));
  std::string text = value + "\n";
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    return fail(fmt::format("the kernel refused {} = {}: {}", name, value, std::strerror(err)));
  return {};
}

Result<std::string> read_proc_sysctl(const std::string& name) {
  auto text = slurp(proc_sys_path(name));
  if (!text)
    return fail(fmt::format("cannot read {}: {}", proc_sys_path(name), std::strerror(errno)));
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

bool is_managed_sysctl(const std::string& name) {
  if (name == "net.netfilter.nf_conntrack_count") return false;  // read only
  for (const char* const* n = relevant_sysctls(); *n; ++n)
    if (name == *n) return true;
  return false;
}

bool is_sysctl_value(const std::string& value) {
  // Numbers, port ranges and port lists ("32768\t60999", "8080,9000-9010"); never a path or a
  // command (kernel.core_pattern takes "|/bin/sh" and is not ours).
  return value.size() <= 65536 && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || c == ' ' || c == '\t' || c == ',' || c == '-';
         });
}

namespace {

std::string now_iso() {
  return fmt::format(
      "{:%Y-%m-%dT%H:%M:%SZ}",
      fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

}  // namespace

Status check_backup_contents(const SavedApply& saved) {
  std::string why;
  for (auto& [name, value] : saved.values)
    if (why = unmanaged(name, value); !why.empty()) break;
  if (why.empty())
    if (auto c = conf_problem(saved.conf); !c.empty()) why = "its sysctl.d text: " + c;
  if (why.empty()) return {};
  return fail(
      fmt::format("{} was not written by timewait: {} (restore its values by hand, then remove it)",
                  saved.path, why));
}

std::vector<std::string> restore_refusals(const SavedApply& saved) {
  std::vector<std::string> out;
  for (auto& [name, value] : saved.values)
    if (value)
      if (auto why = harmful_reason(name, *value, std::nullopt))
        out.push_back(fmt::format("{} = {} ({})", name, *value, *why));
  return out;
}

namespace {

Result<std::unique_ptr<FileLock>> lock(const ApplyPaths& paths, const ApplyTarget& target) {
  // The directories are checked before anything is made in them, and made root's alone.
  if (auto st = check_root_only(backup_path(paths, target), "the backup"); !st)
    return fail(st.error());
  if (auto st = make_private_dir(paths.backups()); !st) return fail(st.error());
  auto held = lock_file(paths.lock());
  if (!held) return fail(held.error());
  // Under the lock no other apply or revert is writing: a temporary file of ours still there was
  // left by one that was killed.
  remove_stale_temporaries(paths.conf());
  remove_stale_temporaries(backup_path(paths, target));
  remove_stale_temporaries(paths.legacy_backup());
  return held;
}

// Puts the backup file back as it was before this run: its old text, or no file.
void restore_backup(const std::string& path, const std::optional<std::string>& old) {
  if (old) {
    (void)write_file_atomically(path, *old, true);
  } else {
    std::error_code ec;
    fs::remove(path, ec);
  }
}

// Writes each (name, value) in order; on a refusal writes back, newest first, what the written
// ones held before (`before`) and returns the refusal.
Status write_all(const std::vector<std::pair<std::string, std::string>>& values,
                 const std::map<std::string, std::string>& before, const SysctlWriter& write,
                 size_t* written) {
  *written = 0;
  for (auto& [name, value] : values) {
    if (auto st = write(name, value); !st) {
      for (size_t i = *written; i-- > 0;) (void)write(values[i].first, before.at(values[i].first));
      return st;
    }
    ++*written;
  }
  return {};
}

void undo(const std::vector<std::pair<std::string, std::string>>& values,
          const std::map<std::string, std::string>& before, const SysctlWriter& write) {
  for (size_t i = values.size(); i-- > 0;) (void)write(values[i].first, before.at(values[i].first));
}

}  // namespace

Status execute_apply(const ApplyPlan& plan, const ApplyPaths& paths, const ApplyTarget& target,
                     const SysctlWriter& write, const SysctlReader& read) {
  if (plan.changes.empty()) return {};
  auto held = lock(paths, target);
  if (!held) return fail(held.error());
  auto existing = read_backup(paths, target);
  if (!existing) return fail(existing.error());
  const std::string path = backup_path(paths, target);
  const std::optional<std::string> old_backup = slurp(path);
  SavedApply b;
  if (*existing) {
    b = **existing;
  } else {
    b.written_at = now_iso();
    b.persisted = plan.persist;
    b.conf_existed = plan.conf_existed;
    b.conf = plan.old_conf;
  }
  b.target = target;  // the same namespace (read_backup checked): its identity as of now
  // The values in force now, read under the lock: the plan's were read when the doctor started
  // (--interval and --trace make that minutes), and another run may have changed them since.
  std::map<std::string, std::string> before;
  std::vector<std::pair<std::string, std::string>> values;
  for (auto& c : plan.changes) {
    auto now = read(c.name);
    if (!now) return fail(now.error());
    before[c.name] = *now;
    values.emplace_back(c.name, c.new_value);
    // A second --apply adds names it did not touch yet and never overwrites an original value.
    if (std::none_of(b.values.begin(), b.values.end(),
                     [&](const auto& v) { return v.first == c.name; }))
      b.values.emplace_back(c.name, *now);
  }
  if (auto st = write_file_atomically(path, backup_text(b, now_iso()), true, 0600); !st) return st;
  size_t written = 0;
  if (auto st = write_all(values, before, write, &written); !st) {
    restore_backup(path, old_backup);
    return fail(fmt::format("{}; nothing was changed ({} put back as it was, {} untouched)",
                            st.error(), written ? "the values set before it" : "no value set",
                            paths.conf()));
  }
  if (plan.persist)
    if (auto st = write_file_atomically(paths.conf(), plan.new_conf, true); !st) {
      undo(values, before, write);
      restore_backup(path, old_backup);
      return fail(
          fmt::format("{}; nothing was changed (the values set were put back)", st.error()));
    }
  // An older timewait's single backup now lives in this namespace's own file.
  if (*existing && (*existing)->legacy) {
    std::error_code ec;
    fs::remove((*existing)->path, ec);
  }
  return {};
}

Result<RevertReport> revert_apply(const ApplyPaths& paths, const ApplyTarget& target,
                                  const SysctlWriter& write, const SysctlReader& read) {
  auto held = lock(paths, target);
  if (!held) return fail(held.error());
  auto saved = read_backup(paths, target);
  if (!saved) return fail(saved.error());
  if (!*saved) return fail(nothing_to_revert(paths, target));
  const SavedApply& b = **saved;
  RevertReport r;
  r.refused = restore_refusals(b);
  // Checked before any value is written: the file goes back only to a regular file or a new
  // path, and is removed only where it is one (a symlink to /dev/null masks a sysctl.d file).
  Result<OutputTarget> conf = OutputTarget{};
  if (b.persisted) conf = check_output_path(paths.conf(), /*create_dirs=*/true);
  if (!conf) return fail(conf.error());
  std::map<std::string, std::string> before;
  std::vector<std::pair<std::string, std::string>> values;
  for (auto& [name, value] : b.values) {
    if (!value) continue;  // the value was unknown when applied: nothing to restore
    if (harmful_reason(name, *value, std::nullopt)) continue;  // in r.refused
    auto now = read(name);
    if (!now) return fail(now.error());
    before[name] = *now;
    values.emplace_back(name, *value);
  }
  size_t written = 0;
  if (auto st = write_all(values, before, write, &written); !st)
    return fail(fmt::format("{}; nothing was restored ({} kept)", st.error(), b.path));
  r.conf_touched = b.persisted;
  if (!b.persisted) {
    // The apply left the file alone: it may have changed since, and is not ours to restore.
  } else if (b.conf_existed) {
    if (auto st = write_file_atomically(paths.conf(), b.conf, true); !st) {
      undo(values, before, write);
      return fail(fmt::format("{}; nothing was restored ({} kept)", st.error(), b.path));
    }
  } else {
    std::error_code ec;
    if (conf->exists) fs::remove(conf->resolved, ec);
    if (ec) {
      undo(values, before, write);
      return fail(
          fmt::format("cannot remove {}: {}; nothing was restored", conf->resolved, ec.message()));
    }
    r.conf_removed = true;
  }
  for (auto& [name, value] : values) r.restored.push_back({name, before[name], value, ""});
  std::error_code ec;
  fs::remove(b.path, ec);
  return r;
}

std::string refused_restore(const SavedApply& saved, const std::vector<std::string>& refused) {
  std::string list;
  for (auto& r : refused) list += (list.empty() ? "" : "; ") + r;
  return fmt::format(
      "not restored from {}, as timewait never writes {}: {}; set {} by hand (sysctl -w "
      "NAME=VALUE) if you need {}",
      saved.path, refused.size() == 1 ? "this value" : "these values", list,
      refused.size() == 1 ? "it" : "them", refused.size() == 1 ? "it" : "them");
}

}  // namespace tw
