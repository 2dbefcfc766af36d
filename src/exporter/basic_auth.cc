// SPDX-License-Identifier: Apache-2.0
#include "exporter/basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>

#include <memory>

namespace tw {

namespace {

// Whether crypt(password, hash) == hash, in time independent of where they differ.
bool crypt_matches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof *data);
  if (!out || out[0] == '*') return false;
  const std::string_view got(out);
  if (got.size() != hash.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < got.size(); ++i) diff |= static_cast<unsigned char>(got[i] ^ hash[i]);
  return diff == 0;
}

std::string digest(std::string_view user, std::string_view password, const std::string& hash) {
  std::string in(user);
  in += '\0';
  in += password;
  in += '\0';
  in += hash;
  unsigned char out[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in.data(), in.size(), out) != 0) return "";
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

bool is_bcrypt_hash(std::string_view hash) {
  if (!(hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$")))
    return false;
  auto data = std::make_unique<crypt_data>();
  const std::string h(hash);
  // A well-formed hash gives itself back for its own password's test: any phrase gives a
  // string of the same shape; a malformed setting gives NULL or "*0".
  const char* out = crypt_rn("x", h.c_str(), data.get(), sizeof *data);
  return out && out[0] == '$' && std::string_view(out).size() == hash.size();
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

bool BasicAuth::check(std::string_view user, std::string_view password) {
  auto it = users_.find(std::string(user));
  if (it == users_.end()) {
    // The time of a known user's wrong password: a check against a real hash (same cost).
    if (!users_.empty()) crypt_matches(password, users_.begin()->second);
    return false;
  }
  const std::string key = digest(user, password, it->second);
  {
    std::lock_guard lock(mu_);
    if (!key.empty() && good_.contains(key)) return true;
  }
  if (!crypt_matches(password, it->second)) return false;
  std::lock_guard lock(mu_);
  if (good_.size() >= 256) good_.clear();  // bounded: a few users, a few passwords each
  if (!key.empty()) good_.insert(key);
  return true;
}

}  // namespace tw
