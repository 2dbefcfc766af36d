// SPDX-License-Identifier: Apache-2.0
// The backups `doctor --apply` keeps and `--revert` restores: one file per network namespace,
// named by what identifies it, readable only where root alone could have written it, and never
// restored into another namespace than the one it was written for.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "doctor/apply_target.h"
#include "model/result.h"

namespace tw {

// Where --apply writes; `root` prefixes every path (tests use a temporary directory). /proc/sys is
// never prefixed: it is the target namespace's own.
struct ApplyPaths {
  std::string root;  // "" = /
  std::string conf() const { return root + "/etc/sysctl.d/60-timewait.conf"; }
  std::string dir() const { return root + "/var/lib/timewait"; }
  std::string backups() const { return dir() + "/backups"; }  // one file per namespace
  std::string lock() const { return dir() + "/.lock"; }
  // The single backup of timewait 0.x before backups were per namespace: read (and moved to
  // backups/ by the next --apply or removed by --revert) when it is the target's.
  std::string legacy_backup() const { return dir() + "/sysctl-backup.json"; }
};

// What a backup holds: where it was written, the values to restore (nullopt: unknown when
// applied) and the sysctl.d file as it was.
struct SavedApply {
  std::string path;     // the file it was read from
  bool legacy = false;  // the single backup of an older timewait
  ApplyTarget target;
  std::string written_at;  // ISO 8601 UTC, "" when not recorded
  std::vector<std::pair<std::string, std::optional<std::string>>> values;
  bool conf_existed = false;
  std::string conf;
  bool persisted = true;  // the apply wrote the sysctl.d file (backups before this field did)
};

// The file `target`'s backup is kept in: backups/host.json for the host; for another namespace
// its inode, cookie and boot, so a namespace made later never finds a gone one's values.
std::string backup_path(const ApplyPaths& paths, const ApplyTarget& target);

// `target`'s backup (nullopt: none): its own file, else the older single backup when that was
// written for `target`. Refused, with a sentence for the user: a file or directory another user
// could have written (check_root_only), a file that is not a backup, one naming a setting or
// value --apply never writes (a hand edit), one whose recorded namespace is not `target`.
Result<std::optional<SavedApply>> read_backup(const ApplyPaths& paths, const ApplyTarget& target);

// Backups of namespaces that are gone that `target` could be taken for (the same name or inode,
// another boot or cookie), for saying so when `target` has none.
std::vector<SavedApply> stale_backups(const ApplyPaths& paths, const ApplyTarget& target);

// The backup file's text (format version 2) for `saved`, updated at `updated_at`.
std::string backup_text(const SavedApply& saved, const std::string& updated_at);

// "nothing to revert" for `target`, naming the stale backups it could be taken for and why each
// is stale (one line).
std::string nothing_to_revert(const ApplyPaths& paths, const ApplyTarget& target);

}  // namespace tw
