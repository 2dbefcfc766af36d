// SPDX-License-Identifier: Apache-2.0
// The half of OutputFile both builds share (the path checked, standard output spooled) and
// write_file_atomically; the temporary file beside the target is each platform's.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "sources/output_file.h"

namespace tw {

OutputFile::~OutputFile() {
  if (!f_) return;
  if (target_.standard_output) {
    if (f_ != stdout) fclose(f_);  // the spool; nothing reaches standard output
  } else {
    discard_temporary();
  }
}

Result<std::unique_ptr<OutputFile>> OutputFile::open(const std::string& path, bool create_dirs) {
  auto t = check_output_path(path, create_dirs);
  if (!t) return fail(t.error());
  std::unique_ptr<OutputFile> out(new OutputFile);
  out->target_ = *t;
  if (t->standard_output) {
    // Where no temporary file can be made, standard output is written directly.
    out->f_ = tmpfile();
    if (!out->f_) out->f_ = stdout;
    return out;
  }
  if (auto st = out->open_temporary(create_dirs); !st) return fail(st.error());
  return out;
}

namespace {
Status stdout_failed() {
  return fail(
      fmt::format("cannot write to standard output: {}", std::strerror(errno ? errno : EIO)));
}
}  // namespace

Status OutputFile::commit() {
  if (!f_) return fail(fmt::format("{} was already written", target_.path));
  if (!target_.standard_output) return commit_temporary();
  FILE* spool = f_ == stdout ? nullptr : f_;
  f_ = nullptr;
  if (spool) {
    bool ok = fflush(spool) == 0 && !ferror(spool) && fseek(spool, 0, SEEK_SET) == 0;
    char buf[1 << 16];
    for (size_t n; ok && (n = fread(buf, 1, sizeof buf, spool)) > 0;)
      ok = fwrite(buf, 1, n, stdout) == n;
    ok = ok && !ferror(spool);
    fclose(spool);
    if (!ok) return stdout_failed();
  }
  if (fflush(stdout) != 0 || ferror(stdout)) return stdout_failed();
  return {};
}

Status write_file_atomically(const std::string& path, const std::string& text, bool create_dirs) {
  auto out = OutputFile::open(path, create_dirs);
  if (!out) return fail(out.error());
  if (fwrite(text.data(), 1, text.size(), (*out)->stream()) != text.size())
    return fail(fmt::format("writing {} failed: {}", path, std::strerror(errno)));
  return (*out)->commit();
}

}  // namespace tw
