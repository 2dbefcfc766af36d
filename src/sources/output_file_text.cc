// write_file_atomically: the same on every platform, over either build's OutputFile.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "sources/output_file.h"

namespace tw {

Status write_file_atomically(const std::string& path, const std::string& text, bool create_dirs) {
  auto out = OutputFile::open(path, create_dirs);
  if (!out) return fail(out.error());
  if (fwrite(text.data(), 1, text.size(), (*out)->stream()) != text.size())
    return fail(fmt::format("writing {} failed: {}", path, std::strerror(errno)));
  return (*out)->commit();
}

}  // namespace tw
