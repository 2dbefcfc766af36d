// SPDX-License-Identifier: Apache-2.0
// Basic auth against exporter-toolkit's `basic_auth_users` (user: bcrypt hash), checked with
// libxcrypt (crypt_rn), the system's own password hashing: `$2y$`, `$2b$` and `$2a$` hashes, as
// htpasswd -B and Go's bcrypt make them. A bcrypt check costs milliseconds by design, so a
// successful (user, password, hash) is remembered, as exporter-toolkit does, by its SHA-256 only;
// an unknown user is checked against a decoy hash so that the time does not tell which users
// exist.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace tw {

// Whether libxcrypt takes `hash` as a bcrypt hash.
bool is_bcrypt_hash(std::string_view hash);

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  // Whether `password` is `user`'s.
  bool check(std::string_view user, std::string_view password);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mu_;
  std::set<std::string> good_;  // digests of checked (user, password, hash)
};

}  // namespace tw
