// SPDX-License-Identifier: Apache-2.0
// `--web.config.file`: Prometheus exporter-toolkit's web configuration file (the one node_exporter
// reads), so a fleet's existing file works unchanged: `tls_server_config` (cert and key, client
// certificates, TLS versions, curves), `http_server_config` (http2, extra response headers) and
// `basic_auth_users` (user: bcrypt hash). Read as exporter-toolkit reads it: YAML, unknown keys
// are errors (yaml.UnmarshalStrict), file paths relative to the file's directory. Everything is
// read and checked at start (certificates load, hashes are bcrypt), so a mistake is one line
// naming the file and the key, never a failure at the first scrape.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/result.h"

namespace tw {

// Go's tls.ClientAuthType names, as exporter-toolkit takes them.
enum class ClientAuth {
  kNone,              // NoClientCert
  kRequest,           // RequestClientCert: asked, not required, not verified
  kRequireAny,        // RequireAnyClientCert: required, not verified
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

struct WebConfig {
  std::string file;  // where it came from, for messages ("" when no file was given)
  bool tls = false;
  std::string cert_pem, key_pem, client_ca_pem;
  ClientAuth client_auth = ClientAuth::kNone;
  std::string tls_priorities;  // GnuTLS priority string (versions, curves)
  // client_allowed_sans: a client certificate must name one of these (DNS, email, IP, URI).
  std::vector<std::string> allowed_sans;
  std::map<std::string, std::string> users;  // user -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;
};

// The file is at most this big (a real one is a few hundred bytes; certificates are read from
// their own files, each also bounded by it).
inline constexpr size_t kMaxWebConfigBytes = 1 << 20;

// Reads and checks `path`: one line naming the file and the key on any problem.
Result<WebConfig> load_web_config(const std::string& path);

// Parses YAML `text` as if read from `path` (relative paths resolve against its directory).
Result<WebConfig> parse_web_config(const std::string& text, const std::string& path);

}  // namespace tw
