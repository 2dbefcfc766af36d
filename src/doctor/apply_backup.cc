// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply_backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "doctor/backup_contents.h"
#include "os/read_file.h"
#include "sources/file_trust.h"
#include "sources/output_file.h"

namespace tw {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A backup is a few hundred bytes; one larger than this was not written by timewait.
constexpr size_t kMaxBackupBytes = 1 << 20;

// Only characters a file name may hold safely (a boot id is hex and dashes).
std::string file_safe(std::string s) {
  for (char& c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      c = '_';
  return s;
}

// A backup's JSON, of this format (version 2: "netns" says "host") or timewait 0.x's (version 1:
// "netns.name" was "host" for any namespace entered without --netns/--pid, `ip netns exec`
// included). `now` decides which namespace a version 1 "host" was.
Result<SavedApply> parse(const std::string& path, const std::string& text, const ApplyTarget& now,
                         bool legacy) {
  json b = json::parse(text, nullptr, false);
  const std::string bad = fmt::format(
      "{} is not a timewait backup (move it away, or restore its values by hand)", path);
  if (b.is_discarded() || !b.is_object() || !b.contains("values") || !b["values"].is_object() ||
      !b.contains("netns") || !b["netns"].is_object())
    return fail(bad);
  SavedApply s;
  s.path = path;
  s.legacy = legacy;
  try {
    const json& n = b.at("netns");
    ApplyTarget& t = s.target;
    t.inode = n.at("inode").get<uint64_t>();
    t.cookie = n.value("cookie", uint64_t{0});
    t.hostname = b.value("host", "");
    t.boot_id = b.value("boot_id", "");
    t.machine_id = b.value("machine_id", "");
    t.kernel = b.value("kernel", "");
    t.timewait_version = b.value("timewait_version", "");
    if (n.contains("host")) {
      t.host_netns = n.at("host").get<bool>();
      t.name = n.value("name", "");
      t.pid = n.value("pid", 0);
    } else {
      const std::string name = n.at("name").get<std::string>();
      if (name == "host") {
        // Written in this boot: the host only when it was PID 1's namespace's inode (the
        // `ip netns exec` case was not); from another boot, the inode tells nothing and the
        // host's own backup is the likely one (what that version wrote /etc/sysctl.d for).
        const bool this_boot = !t.boot_id.empty() && t.boot_id == now.boot_id;
        t.host_netns = !this_boot || t.inode == now.host_inode;
      } else if (name.rfind("pid:", 0) == 0) {
        t.pid = std::atoi(name.c_str() + 4);
      } else {
        t.name = name;
      }
    }
    s.written_at = b.value("written_at", "");
    for (auto& [name, v] : b["values"].items())
      s.values.emplace_back(
          name, v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>()));
    s.conf_existed = b.value("conf_existed", false);
    s.conf = b.value("conf", "");
    s.persisted = b.value("persisted", true);
  } catch (const json::exception&) {
    return fail(bad);
  }
  if (auto st = check_backup_contents(s); !st) return fail(st.error());
  return s;
}

// Reads the backup at `path` when it is there; the file and the directories above it first.
Result<std::optional<SavedApply>> read_one(const std::string& path, const ApplyTarget& now,
                                           bool legacy) {
  if (auto st = check_root_only(path, "the backup"); !st) return fail(st.error());
  // Opening a FIFO there would wait for a writer forever, a device could be read without end.
  if (auto t = check_output_path(path, /*create_dirs=*/true); !t) return fail(t.error());
  auto text = os::read_file(path, kMaxBackupBytes);
  if (!text && errno == EFBIG) return fail(text.error());
  if (!text) return std::optional<SavedApply>();
  auto s = parse(path, *text, now, legacy);
  if (!s) return fail(s.error());
  return std::optional<SavedApply>(std::move(*s));
}

}  // namespace

std::string backup_path(const ApplyPaths& paths, const ApplyTarget& t) {
  if (t.host_netns) return paths.backups() + "/host.json";
  return fmt::format("{}/netns-{}-{}-{}.json", paths.backups(), t.inode, t.cookie,
                     file_safe(t.boot_id.empty() ? "unknown-boot" : t.boot_id));
}

Result<std::optional<SavedApply>> read_backup(const ApplyPaths& paths, const ApplyTarget& target) {
  const std::string own = backup_path(paths, target);
  auto mine = read_one(own, target, false);
  if (!mine) return fail(mine.error());
  if (*mine) {
    if (!same_namespace((*mine)->target, target))
      return fail(fmt::format(
          "{} holds the values of {}, not of {}: it is not where timewait keeps them (move it "
          "away, or restore its values by hand)",
          own, describe((*mine)->target), describe(target)));
    return mine;
  }
  auto old = read_one(paths.legacy_backup(), target, true);
  if (!old) return fail(old.error());
  if (*old && same_namespace((*old)->target, target)) return old;
  return std::optional<SavedApply>();
}

std::string backup_text(const SavedApply& s, const std::string& updated_at) {
  const ApplyTarget& t = s.target;
  json values = json::object();
  for (auto& [name, v] : s.values) values[name] = v ? json(*v) : json();
  json b{{"format", "timewait-sysctl-backup"},
         {"version", 2},
         {"timewait_version", t.timewait_version},
         {"written_at", s.written_at},
         {"updated_at", updated_at},
         {"netns",
          {{"host", t.host_netns},
           {"name", t.name},
           {"pid", t.pid},
           {"inode", t.inode},
           {"cookie", t.cookie}}},
         {"host", t.hostname},
         {"machine_id", t.machine_id},
         {"boot_id", t.boot_id},
         {"kernel", t.kernel},
         {"persisted", s.persisted},
         {"conf_existed", s.conf_existed},
         {"conf", s.conf},
         {"values", values}};
  return b.dump(2) + "\n";
}

std::string nothing_to_revert(const ApplyPaths& paths, const ApplyTarget& target) {
  std::string text = fmt::format(
      "nothing to revert: {} holds no backup of {} (no `doctor --apply --yes` there since the "
      "last --revert)",
      paths.backups(), describe(target));
  for (const SavedApply& s : stale_backups(paths, target)) {
    const ApplyTarget& was = s.target;
    const bool rebooted = !was.boot_id.empty() && was.boot_id != target.boot_id;
    text += fmt::format(
        "; {} is the stale backup of {}{}, which is gone ({}): its values went with it, remove "
        "the file",
        s.path, describe(was), s.written_at.empty() ? "" : ", written " + s.written_at,
        rebooted ? "the machine rebooted since"
                 : "it was deleted since; this namespace has its name or inode now");
  }
  return text;
}

std::vector<SavedApply> stale_backups(const ApplyPaths& paths, const ApplyTarget& target) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(paths.backups(), ec))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  files.push_back(paths.legacy_backup());
  std::vector<SavedApply> out;
  for (const std::string& f : files) {
    auto s = read_one(f, target, f == paths.legacy_backup());
    if (!s || !*s) continue;  // not readable as a backup: never taken for one here
    const ApplyTarget& was = (*s)->target;
    if (was.host_netns || target.host_netns || same_namespace(was, target)) continue;
    if ((!was.name.empty() && was.name == target.name) || was.inode == target.inode)
      out.push_back(std::move(**s));
  }
  return out;
}

}  // namespace tw
