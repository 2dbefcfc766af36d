// SPDX-License-Identifier: Apache-2.0
// Certificates and password hashes for the exporter's TLS and basic-auth tests, made fresh in a
// test's directory with the openssl command line and libxcrypt: a CA, a server certificate for
// 127.0.0.1 signed by it, a client certificate signed by it, and a second CA with a client
// certificate of its own (one the server must refuse).
#pragma once

#include <string>

namespace tw::testing {

// Writes ca.crt, server.crt, server.key, client.crt, client.key, other-ca.crt, other-client.crt,
// other-client.key into `dir`; false (and what openssl said in `error`) if it could not.
bool make_tls_files(const std::string& dir, std::string* error);

// A bcrypt hash of `password` (`prefix` "$2y$" as htpasswd -B, "$2b$" as Go's bcrypt).
std::string bcrypt_hash(const std::string& password, int cost = 4,
                        const std::string& prefix = "$2y$");

// Runs `command` with sh; its exit status and standard output.
struct ShellResult {
  int code = -1;
  std::string out;
};
ShellResult shell(const std::string& command);

// curl as a scraper of SCHEME://127.0.0.1:PORT/metrics, run in `dir` (where make_tls_files wrote
// ca.crt, the CA it trusts) with `args` (--cert/--key, -u, TLS versions), bounded to 10 s: its
// exit status, and the status line, headers and body it got (-i) or its own error.
ShellResult curl_metrics(const std::string& dir, int port, const std::string& args,
                         const std::string& scheme = "https");

}  // namespace tw::testing
