// SPDX-License-Identifier: Apache-2.0
// The half of OutputFile both builds share (the path checked, standard output spooled) and
// write_file_atomically; the temporary file beside the target is each platform's.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "sources/output_file.h"

namespace tw {

OutputFile::~OutputFile() {
  if (!f_) return;
  if (target_.stream_fd >= 0) {
    if (f_ != stdout) fclose(f_);  // the spool; nothing reaches the stream
  } else {
    discard_temporary();
  }
}

Result<std::unique_ptr<OutputFile>> OutputFile::open(const std::string& path, bool create_dirs,
                                                     mode_t new_mode) {
  auto t = check_output_path(path, create_dirs);
  if (!t) return fail(t.error());
  std::unique_ptr<OutputFile> out(new OutputFile);
  out->target_ = *t;
  if (t->stream_fd >= 0) {
    // Where no temporary file can be made, standard output is written directly.
    out->f_ = tmpfile();
    if (!out->f_ && t->stream_fd == 1) out->f_ = stdout;
    if (!out->f_) return fail(fmt::format("cannot spool {}: {}", path, std::strerror(errno)));
    return out;
  }
  if (auto st = out->open_temporary(create_dirs, new_mode); !st) return fail(st.error());
  return out;
}

namespace {
Status stdout_failed() {
  return fail(
      fmt::format("cannot write to standard output: {}", std::strerror(errno ? errno : EIO)));
}

// Another descriptor than standard output (/dev/stderr, /dev/fd/3): written with write(2), past
// stdio, after standard output's buffer so the order on a shared file is kept.
bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const auto w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
}  // namespace

Status OutputFile::commit() {
  if (!f_) return fail(fmt::format("{} was already written", target_.path));
  if (target_.stream_fd < 0) return commit_temporary();
  FILE* spool = f_ == stdout ? nullptr : f_;
  f_ = nullptr;
  const int fd = target_.stream_fd;
  if (fd != 1) fflush(stdout);
  if (spool) {
    bool ok = fflush(spool) == 0 && !ferror(spool) && fseek(spool, 0, SEEK_SET) == 0;
    char buf[1 << 16];
    for (size_t n; ok && (n = fread(buf, 1, sizeof buf, spool)) > 0;)
      ok = fd == 1 ? fwrite(buf, 1, n, stdout) == n : write_all(fd, buf, n);
    ok = ok && !ferror(spool);
    fclose(spool);
    if (!ok && fd != 1)
      return fail(
          fmt::format("cannot write to {}: {}", target_.path, std::strerror(errno ? errno : EIO)));
    if (!ok) return stdout_failed();
  }
  if (fd != 1) return {};
  if (fflush(stdout) != 0 || ferror(stdout)) return stdout_failed();
  return {};
}

Status write_file_atomically(const std::string& path, const std::string& text, bool create_dirs,
                             mode_t new_mode) {
  auto out = OutputFile::open(path, create_dirs, new_mode);
  if (!out) return fail(out.error());
  if (fwrite(text.data(), 1, text.size(), (*out)->stream()) != text.size())
    return fail(fmt::format("writing {} failed: {}", path, std::strerror(errno)));
  return (*out)->commit();
}

}  // namespace tw
