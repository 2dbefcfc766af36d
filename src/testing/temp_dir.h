// SPDX-License-Identifier: Apache-2.0
// The one temporary directory of the tests: made under /tmp (sticky, root's: the file-trust
// tests rely on that), removed with everything in it at the end of the scope.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tw::testing {

struct TempDir {
  // `prefix` names the directory (/tmp/PREFIX-XXXXXX), so a leftover says which test made it.
  explicit TempDir(const std::string& prefix = "twtest-dir") {
    std::string t = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(t.data())) path = t;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path.empty(); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  // Writes `content` (any bytes) to NAME in the directory; its path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = *this / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  // The names in the directory, sorted: tests check that no temporary file is left behind.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(path)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string path;
};

// The whole content of a file ("" if it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tw::testing
