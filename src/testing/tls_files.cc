// SPDX-License-Identifier: Apache-2.0
#include "testing/tls_files.h"

#include <crypt.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/wait.h>

#include <memory>

namespace tw::testing {

ShellResult shell(const std::string& command) {
  ShellResult r;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ShellResult curl_metrics(const std::string& dir, int port, const std::string& args,
                         const std::string& scheme) {
  return shell(fmt::format(
      "cd '{}' && curl -sS -i --max-time 10 --cacert ca.crt {} {}://127.0.0.1:{}/metrics 2>&1", dir,
      args, scheme, port));
}

bool make_tls_files(const std::string& dir, std::string* error) {
  // P-256 keys (quick to make); certificates valid for two days.
  const std::string script = fmt::format(R"(set -e
cd '{}'
key() {{ openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }}
ca() {{ key "$1.key"; openssl req -x509 -new -key "$1.key" -days 2 -subj "/CN=$1" -out "$1.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign; }}
leaf() {{ key "$1.key"; openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null; rm -f "$1.csr" "$1.ext"; }}
ca ca
ca other-ca
leaf server ca 127.0.0.1 'subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth'
leaf client ca prometheus 'subjectAltName=DNS:prometheus.example,IP:10.0.0.7
extendedKeyUsage=clientAuth'
leaf other-client other-ca intruder 'extendedKeyUsage=clientAuth'
)",
                                         dir);
  auto r = shell("sh -c " + fmt::format("'{}' 2>&1", [&] {
                   std::string q;
                   for (char c : script) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
                   return q;
                 }()));
  if (r.code != 0 && error) *error = r.out;
  return r.code == 0;
}

std::string bcrypt_hash(const std::string& password, int cost, const std::string& prefix) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn(prefix.c_str(), static_cast<unsigned long>(cost), nullptr, 0, salt,
                        sizeof salt))
    return "";
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt, data.get(), sizeof *data);
  return out && out[0] == '$' ? out : "";
}

}  // namespace tw::testing
