// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "os/read_file.h"
#include "sources/file_lock.h"
#include "sources/file_trust.h"
#include "sources/output_file.h"

namespace tw {

namespace fs = std::filesystem;

namespace {

std::string now_iso() {
  return fmt::format(
      "{:%Y-%m-%dT%H:%M:%SZ}",
      fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

}  // namespace

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
  std::optional<std::string> old_backup;
  if (auto text = os::read_file(path)) old_backup = std::move(*text);
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

}  // namespace tw
