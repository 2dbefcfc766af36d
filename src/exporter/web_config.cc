// SPDX-License-Identifier: Apache-2.0
#include "exporter/web_config.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gnutls/gnutls.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <memory>
#include <set>

#include "exporter/basic_auth.h"
#include "os/unique_fd.h"

namespace tw {

namespace {

// A file's or user's text in a message: control characters escaped, long text cut, so that a
// hostile file cannot rewrite the terminal or flood it.
std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 120)) {
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (s.size() > 120) out += "...";
  return out;
}

// Reads a regular file of at most kMaxWebConfigBytes.
Result<std::string> read_bounded(const std::string& path) {
  os::UniqueFd owned(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  const int fd = owned.get();
  if (!owned) return fail(std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail("not a regular file");
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxWebConfigBytes)
      return fail(fmt::format("larger than {} bytes", kMaxWebConfigBytes));
  }
  return out;
}

// exporter-toolkit's config_util.JoinDir: a relative path is the config file's directory's.
std::string join_dir(const std::string& file, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos) return p;
  return file.substr(0, slash + 1) + p;
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  std::unexpected<std::string> error(const std::string& key, const std::string& what) const {
    return fail(fmt::format("--web.config.file {}: {}: {}", shown(file_), key, what));
  }

  // The keys of mapping `node` (at `where`), each in `allowed`, none twice.
  Status check_keys(const YAML::Node& node, const std::string& where,
                    const std::set<std::string>& allowed) const {
    if (!node.IsMap()) return error(where, "expected a mapping of keys");
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return error(where, "a key that is not a string");
      const std::string k = kv.first.Scalar();
      const std::string at = where.empty() ? k : where + "." + k;
      if (!allowed.contains(k))
        return error(shown(at), "unknown key (exporter-toolkit's format reads keys strictly)");
      if (!seen.insert(k).second) return error(shown(at), "given twice");
    }
    return {};
  }

  Result<std::string> scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsDefined() || node.IsNull()) return std::string();
    if (!node.IsScalar()) return error(key, "expected a string");
    return node.Scalar();
  }

  // A file named at `key` (relative to the config file), read whole.
  Result<std::string> file_at(const std::string& key, const std::string& p) const {
    const std::string full = join_dir(file_, p);
    auto text = read_bounded(full);
    if (!text) return error(key, fmt::format("cannot read {}: {}", shown(full), text.error()));
    return *text;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

Result<int> tls_version(const Parser& p, const YAML::Node& node, const std::string& key) {
  auto s = p.scalar(node, key);
  if (!s) return std::unexpected(s.error());
  if (*s == "TLS10") return 10;
  if (*s == "TLS11") return 11;
  if (*s == "TLS12") return 12;
  if (*s == "TLS13") return 13;
  return p.error(key,
                 fmt::format("unknown TLS version '{}' (TLS10, TLS11, TLS12 or TLS13)", shown(*s)));
}

Status check_tls(const Parser& p, const YAML::Node& tls, WebConfig& out) {
  if (auto st =
          p.check_keys(tls, "tls_server_config",
                       {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                        "client_ca_file", "cipher_suites", "curve_preferences", "min_version",
                        "max_version", "prefer_server_cipher_suites", "client_allowed_sans"});
      !st)
    return st;
  auto get = [&](const char* k) -> Result<std::string> {
    return p.scalar(tls[k], std::string("tls_server_config.") + k);
  };
  std::map<std::string, std::string> v;
  for (const char* k : {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                        "client_ca_file"}) {
    auto s = get(k);
    if (!s) return std::unexpected(s.error());
    v[k] = *s;
  }
  // exporter-toolkit's TLSConfig.IsEnabled: any of these turns TLS on.
  out.tls = !v["cert"].empty() || !v["key"].empty() || !v["client_ca"].empty() ||
            !v["cert_file"].empty() || !v["key_file"].empty() || !v["client_ca_file"].empty() ||
            !v["client_auth_type"].empty();
  if (!out.tls) return {};
  const std::string k = "tls_server_config";
  if (!v["cert_file"].empty()) {
    auto t = p.file_at(k + ".cert_file", v["cert_file"]);
    if (!t) return std::unexpected(t.error());
    out.cert_pem = *t;
  } else if (!v["cert"].empty()) {
    out.cert_pem = v["cert"];
  } else {
    return p.error(k, "missing one of cert or cert_file");
  }
  if (!v["key_file"].empty()) {
    auto t = p.file_at(k + ".key_file", v["key_file"]);
    if (!t) return std::unexpected(t.error());
    out.key_pem = *t;
  } else if (!v["key"].empty()) {
    out.key_pem = v["key"];
  } else {
    return p.error(k, "missing one of key or key_file");
  }
  if (!v["client_ca_file"].empty()) {
    auto t = p.file_at(k + ".client_ca_file", v["client_ca_file"]);
    if (!t) return std::unexpected(t.error());
    out.client_ca_pem = *t;
  } else {
    out.client_ca_pem = v["client_ca"];
  }
  const std::string& ca_key = v["client_ca_file"].empty() ? "client_ca" : "client_ca_file";

  const std::string& auth = v["client_auth_type"];
  if (auth.empty() || auth == "NoClientCert")
    out.client_auth = ClientAuth::kNone;
  else if (auth == "RequestClientCert")
    out.client_auth = ClientAuth::kRequest;
  else if (auth == "RequireAnyClientCert" || auth == "RequireClientCert")
    out.client_auth = ClientAuth::kRequireAny;
  else if (auth == "VerifyClientCertIfGiven")
    out.client_auth = ClientAuth::kVerifyIfGiven;
  else if (auth == "RequireAndVerifyClientCert")
    out.client_auth = ClientAuth::kRequireAndVerify;
  else
    return p.error(k + ".client_auth_type",
                   fmt::format("unknown value '{}' (NoClientCert, RequestClientCert, "
                               "RequireAnyClientCert, VerifyClientCertIfGiven, "
                               "RequireAndVerifyClientCert)",
                               shown(auth)));
  if (!out.client_ca_pem.empty() && out.client_auth == ClientAuth::kNone)
    return p.error(k + "." + ca_key,
                   "client CAs are set without client_auth_type (as exporter-toolkit, refused)");
  if (out.client_ca_pem.empty() && (out.client_auth == ClientAuth::kVerifyIfGiven ||
                                    out.client_auth == ClientAuth::kRequireAndVerify))
    return p.error(k + ".client_auth_type",
                   fmt::format("{} needs client_ca_file (the CAs client certificates are verified "
                               "against)",
                               auth));

  // The certificate and key must make a pair, the CA file must hold certificates: checked now.
  gnutls_certificate_credentials_t cred = nullptr;
  if (gnutls_certificate_allocate_credentials(&cred) < 0) return p.error(k, "GnuTLS failed");
  std::unique_ptr<gnutls_certificate_credentials_st, void (*)(gnutls_certificate_credentials_t)>
      guard(cred, gnutls_certificate_free_credentials);
  gnutls_datum_t cert{reinterpret_cast<unsigned char*>(out.cert_pem.data()),
                      static_cast<unsigned>(out.cert_pem.size())};
  gnutls_datum_t key{reinterpret_cast<unsigned char*>(out.key_pem.data()),
                     static_cast<unsigned>(out.key_pem.size())};
  if (int rc =
          gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
      rc < 0)
    return p.error(
        k, fmt::format("the certificate ({}) and key ({}) do not load as a PEM pair: {}",
                       v["cert_file"].empty() ? "cert" : "cert_file " + shown(v["cert_file"]),
                       v["key_file"].empty() ? "key" : "key_file " + shown(v["key_file"]),
                       gnutls_strerror(rc)));
  if (!out.client_ca_pem.empty()) {
    gnutls_datum_t ca{reinterpret_cast<unsigned char*>(out.client_ca_pem.data()),
                      static_cast<unsigned>(out.client_ca_pem.size())};
    if (gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM) <= 0)
      return p.error(k + "." + ca_key, "holds no PEM certificate");
  }

  // Versions (exporter-toolkit's defaults: TLS 1.2 to 1.3), curves, server precedence.
  int lo = 12, hi = 13;
  if (tls["min_version"]) {
    auto r = tls_version(p, tls["min_version"], k + ".min_version");
    if (!r) return std::unexpected(r.error());
    lo = *r;
  }
  if (tls["max_version"]) {
    auto r = tls_version(p, tls["max_version"], k + ".max_version");
    if (!r) return std::unexpected(r.error());
    hi = *r;
  }
  if (lo > hi) return p.error(k + ".min_version", "above max_version");
  std::string prio = "NORMAL:-VERS-ALL";
  for (int ver = hi; ver >= lo; --ver)
    prio += ver == 10 ? ":+VERS-TLS1.0" : fmt::format(":+VERS-TLS1.{}", ver - 10);
  if (tls["curve_preferences"]) {
    const YAML::Node c = tls["curve_preferences"];
    if (!c.IsSequence()) return p.error(k + ".curve_preferences", "expected a list");
    std::string groups;
    for (const auto& item : c) {
      const std::string s = item.IsScalar() ? item.Scalar() : "";
      const char* g = s == "CurveP256"   ? "SECP256R1"
                      : s == "CurveP384" ? "SECP384R1"
                      : s == "CurveP521" ? "SECP521R1"
                      : s == "X25519"    ? "X25519"
                                         : nullptr;
      if (!g)
        return p.error(
            k + ".curve_preferences",
            fmt::format("unknown curve '{}' (CurveP256, CurveP384, CurveP521, X25519)", shown(s)));
      groups += fmt::format(":+GROUP-{}", g);
    }
    if (!groups.empty()) prio += ":-GROUP-ALL" + groups;
  }
  if (tls["cipher_suites"] && tls["cipher_suites"].size() > 0)
    return p.error(k + ".cipher_suites",
                   "not supported here (Go's cipher names; GnuTLS's NORMAL set is used): remove "
                   "it, or set min_version: TLS13, whose suites are all AEAD");
  if (tls["client_allowed_sans"] && !tls["client_allowed_sans"].IsNull()) {
    const YAML::Node sans = tls["client_allowed_sans"];
    const std::string key = k + ".client_allowed_sans";
    if (!sans.IsSequence()) return p.error(key, "expected a list");
    for (const auto& item : sans) {
      if (!item.IsScalar()) return p.error(key, "expected a list of names");
      out.allowed_sans.push_back(item.Scalar());
    }
    // As exporter-toolkit: only where a certificate is required is there a name to match.
    if (out.client_auth != ClientAuth::kRequireAny &&
        out.client_auth != ClientAuth::kRequireAndVerify)
      return p.error(key,
                     "needs client_auth_type RequireAnyClientCert or "
                     "RequireAndVerifyClientCert");
  }
  bool prefer = true;
  if (tls["prefer_server_cipher_suites"]) {
    try {
      prefer = tls["prefer_server_cipher_suites"].as<bool>();
    } catch (const YAML::Exception&) {
      return p.error(k + ".prefer_server_cipher_suites", "expected true or false");
    }
  }
  if (prefer) prio += ":%SERVER_PRECEDENCE";
  gnutls_priority_t check = nullptr;
  if (gnutls_priority_init(&check, prio.c_str(), nullptr) < 0)
    return p.error(k, fmt::format("GnuTLS refused the priority string {}", prio));
  gnutls_priority_deinit(check);
  out.tls_priorities = prio;
  return {};
}

// exporter-toolkit's validateHeaderConfig: these headers only, some with fixed values.
Status check_http(const Parser& p, const YAML::Node& http, WebConfig& out) {
  if (auto st = p.check_keys(http, "http_server_config", {"http2", "headers"}); !st) return st;
  if (http["http2"]) {
    try {
      (void)http["http2"].as<bool>();  // HTTP/1.1 only here: what Go serves with http2: false
    } catch (const YAML::Exception&) {
      return p.error("http_server_config.http2", "expected true or false");
    }
  }
  const YAML::Node h = http["headers"];
  if (!h || h.IsNull()) return {};
  if (!h.IsMap()) return p.error("http_server_config.headers", "expected a mapping");
  const std::map<std::string, std::set<std::string>> allowed = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  for (const auto& kv : h) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const std::string key = "http_server_config.headers." + shown(name);
    auto it = allowed.find(name);
    if (it == allowed.end())
      return p.error(key,
                     "this header can not be configured (exporter-toolkit's list: "
                     "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
                     "X-XSS-Protection, Content-Security-Policy)");
    if (!kv.second.IsScalar()) return p.error(key, "expected a string");
    const std::string value = kv.second.Scalar();
    for (unsigned char c : value)
      if (c < 0x20 || c == 0x7f) return p.error(key, "a control character in the value");
    if (!it->second.empty()) {
      std::string lower;
      for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!it->second.contains(lower))
        return p.error(key, fmt::format("invalid value '{}'", shown(value)));
    }
    out.headers.emplace_back(name, value);
  }
  return {};
}

Status check_users(const Parser& p, const YAML::Node& users, WebConfig& out) {
  if (users.IsNull()) return {};
  if (!users.IsMap()) return p.error("basic_auth_users", "expected a mapping of user: bcrypt hash");
  for (const auto& kv : users) {
    const std::string user = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const std::string key = "basic_auth_users." + shown(user);
    if (user.empty() || user.find(':') != std::string::npos)
      return p.error(key, "a user name must be non-empty and hold no ':'");
    if (!kv.second.IsScalar()) return p.error(key, "expected a bcrypt hash");
    const std::string hash = kv.second.Scalar();
    if (!is_bcrypt_hash(hash))
      return p.error(key,
                     "not a bcrypt hash ($2y$, $2b$ or $2a$, as `htpasswd -nBC 10 USER` "
                     "prints after the colon)");
    if (!out.users.emplace(user, hash).second) return p.error(key, "given twice");
  }
  return {};
}

}  // namespace

Result<WebConfig> parse_web_config(const std::string& text, const std::string& path) {
  Parser p(path);
  WebConfig out;
  out.file = path;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("--web.config.file {}: line {}: not valid YAML: {}", shown(path),
                            e.mark.line + 1, shown(e.msg)));
  }
  if (!root || root.IsNull()) return out;  // an empty file: plain HTTP, as exporter-toolkit
  try {
    if (auto st = p.check_keys(
            root, "",
            {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"});
        !st)
      return std::unexpected(st.error());
    if (root["rate_limit"] && !root["rate_limit"].IsNull())
      return p.error("rate_limit",
                     "not supported here: the exporter bounds connections per "
                     "address instead (--max-connections-per-ip)");
    if (root["tls_server_config"] && !root["tls_server_config"].IsNull())
      if (auto st = check_tls(p, root["tls_server_config"], out); !st)
        return std::unexpected(st.error());
    if (root["http_server_config"] && !root["http_server_config"].IsNull())
      if (auto st = check_http(p, root["http_server_config"], out); !st)
        return std::unexpected(st.error());
    if (root["basic_auth_users"])
      if (auto st = check_users(p, root["basic_auth_users"], out); !st)
        return std::unexpected(st.error());
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("--web.config.file {}: line {}: {}", shown(path), e.mark.line + 1,
                            shown(e.msg)));
  }
  return out;
}

Result<WebConfig> load_web_config(const std::string& path) {
  auto text = read_bounded(path);
  if (!text)
    return fail(fmt::format("--web.config.file {}: cannot read: {}", shown(path), text.error()));
  return parse_web_config(*text, path);
}

}  // namespace tw
