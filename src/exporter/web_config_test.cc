// SPDX-License-Identifier: Apache-2.0
// exporter-toolkit's web config file: what it accepts and refuses (one line naming the file and
// the key), and a node_exporter-style file served for real: TLS with certificates made here, a
// client certificate required and verified, basic auth with bcrypt hashes, checked with curl.
#include "exporter/web_config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "exporter/basic_auth.h"
#include "exporter/server.h"
#include "os/unique_fd.h"
#include "testing/loopback.h"
#include "testing/temp_dir.h"
#include "testing/tls_files.h"

namespace tw {
namespace {

using testing::TempDir;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The error for `yaml` (in a file of `dir`), which must be one line naming the file.
std::string error_of(const TempDir& dir, const std::string& yaml) {
  const std::string file = dir / "web.yml";
  write(file, yaml);
  auto r = load_web_config(file);
  if (r) return "(accepted)";
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  EXPECT_NE(r.error().find(file), std::string::npos) << r.error();
  return r.error();
}

class WebConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(testing::make_tls_files(dir_.path, &why)) << why;
  }
  TempDir dir_;
};

TEST(BasicAuth, ChecksBcryptHashesOfEveryPrefix) {
  for (const char* prefix : {"$2y$", "$2b$", "$2a$"}) {
    const std::string h = testing::bcrypt_hash("s3cret", 4, prefix);
    ASSERT_TRUE(h.starts_with(prefix)) << h;
    EXPECT_TRUE(is_bcrypt_hash(h)) << h;
    BasicAuth auth({{"prometheus", h}});
    EXPECT_TRUE(auth.check("prometheus", "s3cret")) << prefix;
    EXPECT_TRUE(auth.check("prometheus", "s3cret")) << prefix << " (remembered)";
    EXPECT_FALSE(auth.check("prometheus", "s3cret ")) << prefix;
    EXPECT_FALSE(auth.check("prometheus", "")) << prefix;
    EXPECT_FALSE(auth.check("other", "s3cret")) << prefix;
    EXPECT_FALSE(auth.check("prometheus", std::string("s3cret\0x", 8))) << prefix;
  }
  for (const char* bad : {"", "s3cret", "$1$abc$def", "$6$salt$hash", "$2y$10$short",
                          "$2y$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz12345"})
    EXPECT_FALSE(is_bcrypt_hash(bad)) << bad;
}

TEST(WebConfig, RefusesWhatExporterToolkitRefusesInOneLine) {
  TempDir dir;
  const std::string hash = testing::bcrypt_hash("pw");
  struct Case {
    std::string yaml, says;
  };
  for (const Case& c : std::vector<Case>{
           {"tls_server_config:\n  cert_fle: x\n", "tls_server_config.cert_fle: unknown key"},
           {"basic_auth_user:\n  a: b\n", "basic_auth_user: unknown key"},
           {"basic_auth_users:\n  prometheus: notahash\n",
            "basic_auth_users.prometheus: not a bcrypt hash"},
           {"basic_auth_users:\n  prometheus: $6$salt$abc\n", "not a bcrypt hash"},
           {"basic_auth_users:\n  'a:b': " + hash + "\n", "no ':'"},
           {"basic_auth_users: [a, b]\n", "basic_auth_users: expected a mapping"},
           {"tls_server_config:\n  cert_file: nosuch.crt\n  key_file: nosuch.key\n",
            "tls_server_config.cert_file: cannot read " + dir.path + "/nosuch.crt"},
           {"tls_server_config:\n  key_file: a.key\n", "missing one of cert or cert_file"},
           {"tls_server_config:\n  cert_file: /dev/null\n  key_file: /dev/null\n",
            "not a regular file"},
           {"tls_server_config: {\n", "not valid YAML"},
           {"rate_limit:\n  burst: 1\n", "rate_limit: not supported"},
           {"http_server_config:\n  headers:\n    Server: x\n", "can not be configured"},
           {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "invalid value"},
           {"http_server_config:\n  http3: true\n", "http_server_config.http3: unknown key"},
           {"- a\n- b\n", "expected a mapping"},
           {"tls_server_config:\n  cert_file: x\n  cert_file: y\n", "given twice"},
       }) {
    std::string e = error_of(dir, c.yaml);
    EXPECT_NE(e.find(c.says), std::string::npos) << c.yaml << "\n-> " << e;
  }
  // Bounded: a file past 1 MiB is refused before parsing; control characters are escaped.
  EXPECT_NE(error_of(dir, std::string(kMaxWebConfigBytes + 1, '#')).find("larger than"),
            std::string::npos);
  std::string e = error_of(dir, "basic_auth_users:\n  \"\\e]0;pwned\\a\": x\n");
  EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
  EXPECT_NE(e.find("\\x1b"), std::string::npos) << e;
  // Nesting 400,000 deep (within the size bound) is refused, not a crash of the parser's stack.
  EXPECT_NE(error_of(dir, "a: " + std::string(400000, '[')).find("not valid YAML"),
            std::string::npos);
  EXPECT_NE(error_of(dir, "tls_server_config: " + std::string(300000, '{')).find("not valid YAML"),
            std::string::npos);
  auto missing = load_web_config(dir / "absent.yml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("absent.yml: cannot read: No such file"), std::string::npos)
      << missing.error();
}

TEST_F(WebConfigFiles, ChecksCertificatesKeysAndTlsSettingsAtLoad) {
  auto e = [&](const std::string& tls) { return error_of(dir_, "tls_server_config:\n" + tls); };
  const std::string pair = "  cert_file: server.crt\n  key_file: server.key\n";
  EXPECT_EQ(e(pair), "(accepted)");
  EXPECT_NE(
      e("  cert_file: server.crt\n  key_file: client.key\n").find("do not load as a PEM pair"),
      std::string::npos);
  EXPECT_NE(e("  cert_file: ca.crt\n  key_file: ca.crt\n").find("do not load"), std::string::npos);
  EXPECT_NE(e(pair + "  client_ca_file: ca.crt\n").find("without client_auth_type"),
            std::string::npos);
  EXPECT_NE(
      e(pair + "  client_auth_type: RequireAndVerifyClientCert\n").find("needs client_ca_file"),
      std::string::npos);
  EXPECT_NE(e(pair + "  client_auth_type: Sometimes\n").find("tls_server_config.client_auth_type"),
            std::string::npos);
  EXPECT_NE(
      e(pair + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n")
          .find("holds no PEM certificate"),
      std::string::npos);
  EXPECT_NE(e(pair + "  min_version: TLS14\n").find("tls_server_config.min_version"),
            std::string::npos);
  EXPECT_NE(e(pair + "  min_version: TLS13\n  max_version: TLS12\n").find("above max_version"),
            std::string::npos);
  EXPECT_NE(e(pair + "  curve_preferences: [CurveP256, Curve25519]\n").find("unknown curve"),
            std::string::npos);
  EXPECT_EQ(e(pair + "  curve_preferences: [X25519, CurveP256]\n  min_version: TLS13\n"
                     "  prefer_server_cipher_suites: false\n"),
            "(accepted)");
  EXPECT_NE(
      e(pair + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n").find("cipher_suites: not supported"),
      std::string::npos);
  EXPECT_NE(e(pair + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n"
                     "  client_allowed_sans: [a.example]\n")
                .find("client_allowed_sans: needs client_auth_type"),
            std::string::npos);
  // Paths are the file's directory's, whatever the working directory.
  EXPECT_EQ(e(pair + "  min_version: TLS13\n"), "(accepted)");
  auto ok = load_web_config(dir_ / "web.yml");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_TRUE(ok->tls);
  EXPECT_NE(ok->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(ok->tls_priorities.find("+VERS-TLS1.3"), std::string::npos);
  EXPECT_EQ(ok->tls_priorities.find("+VERS-TLS1.2"), std::string::npos);
  // An empty file is plain HTTP, as with exporter-toolkit.
  EXPECT_EQ(error_of(dir_, ""), "(accepted)");
}

// A server with the file, and curl against it.
class TlsServed : public WebConfigFiles {
 protected:
  void serve(const std::string& yaml) {
    write(dir_ / "web.yml", yaml);
    auto web = load_web_config(dir_ / "web.yml");
    ASSERT_TRUE(web) << web.error();
    ServerOptions o;
    o.port = 0;
    o.web = *web;
    server_ =
        std::make_unique<MetricsServer>(o, ServerHandlers{[] { return std::string("x 1\n"); }});
    auto st = server_->bind();
    ASSERT_TRUE(st) << st.error();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
      thread_.join();
      server_.reset();
    }
  }
  testing::ShellResult curl(const std::string& args, const std::string& scheme = "https") {
    return testing::curl_metrics(dir_.path, server_->port(), args, scheme);
  }
  std::unique_ptr<MetricsServer> server_;
  std::thread thread_;
};

// The file a node_exporter user has, unchanged: TLS 1.2+, client certificates required and
// verified against their CA, basic auth with a cost-10 bcrypt hash as htpasswd -B makes, a
// security header.
TEST_F(TlsServed, ANodeExporterWebConfigWorksUnchanged) {
  const std::string hash = testing::bcrypt_hash("scrape-secret", 10, "$2y$");
  serve(fmt::format(R"(# node_exporter's web-config.yml
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: "RequireAndVerifyClientCert"
  client_ca_file: ca.crt
  min_version: TLS12
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: {}
)",
                    hash));
  const std::string client = "--cert client.crt --key client.key";
  auto ok = curl(client + " -u prometheus:scrape-secret");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_TRUE(ok.out.starts_with("HTTP/1.1 200")) << ok.out;
  EXPECT_TRUE(ok.out.ends_with("\r\n\r\nx 1\n")) << ok.out;
  EXPECT_NE(ok.out.find("X-Frame-Options: deny\r\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("Strict-Transport-Security: max-age=31536000\r\n"), std::string::npos);

  for (const char* bad : {" -u prometheus:wrong", " -u someone:scrape-secret", ""}) {
    auto r = curl(client + bad);
    EXPECT_TRUE(r.out.starts_with("HTTP/1.1 401")) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("WWW-Authenticate: Basic"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("x 1"), std::string::npos) << r.out;
  }
  // No client certificate, or one another CA signed: no answer at all, whatever the password.
  for (const std::string& certs :
       {std::string(""), std::string("--cert other-client.crt --key other-client.key")}) {
    auto r = curl(certs + " -u prometheus:scrape-secret");
    EXPECT_NE(r.code, 0) << certs << ": " << r.out;
    EXPECT_EQ(r.out.find("HTTP/1.1 200"), std::string::npos) << certs << ": " << r.out;
    EXPECT_EQ(r.out.find("x 1"), std::string::npos) << r.out;
  }
  // Plain HTTP on the TLS port is not served.
  auto plain = curl("-u prometheus:scrape-secret", "http");
  EXPECT_EQ(plain.out.find("x 1"), std::string::npos) << plain.out;
  // A client limited to TLS 1.1 is refused (min_version TLS12).
  auto old = curl(client + " -u prometheus:scrape-secret --tls-max 1.1 --tlsv1.0");
  EXPECT_NE(old.code, 0) << old.out;
  EXPECT_GE(server_->rejected(), 3);
}

TEST_F(TlsServed, Tls13OnlyRefusesTls12) {
  serve(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "  min_version: TLS13\n");
  auto ok = curl("");
  EXPECT_TRUE(ok.out.ends_with("\r\n\r\nx 1\n")) << ok.out;
  auto old = curl("--tls-max 1.2");
  EXPECT_NE(old.code, 0) << old.out;
  EXPECT_EQ(old.out.find("x 1"), std::string::npos) << old.out;
}

TEST_F(TlsServed, VerifyClientCertIfGivenTakesNoneButRefusesAForeignOne) {
  serve(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n");
  EXPECT_TRUE(curl("").out.ends_with("x 1\n"));
  EXPECT_TRUE(curl("--cert client.crt --key client.key").out.ends_with("x 1\n"));
  auto foreign = curl("--cert other-client.crt --key other-client.key");
  EXPECT_EQ(foreign.out.find("x 1"), std::string::npos) << foreign.out;
}

// A client that starts a TLS handshake and drips it (slowloris before the request) is cut 5 s
// after accept, as a plain one is (by the deadline or by libmicrohttpd's idle timeout, which a
// handshake that does not progress does not reset: whichever comes first).
TEST_F(TlsServed, AStalledHandshakeIsCutAtTheDeadline) {
  serve("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  const auto t0 = std::chrono::steady_clock::now();
  os::UniqueFd owned = testing::connect_loopback(server_->port());
  const int fd = owned.get();
  ASSERT_TRUE(owned);
  const char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};  // a ClientHello, begun
  ASSERT_EQ(send(fd, hello_start, sizeof hello_start, MSG_NOSIGNAL), ssize_t(sizeof hello_start));
  // A byte every second, as slowloris does, until the server closes (bounded at 15 s).
  std::string got;
  for (int i = 0; i < 15; ++i) {
    got = testing::read_until_close(fd, 1);
    if (send(fd, "\x01", 1, MSG_NOSIGNAL) < 0) break;
  }
  owned.reset();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(9));
  EXPECT_GE(took, std::chrono::seconds(4));
}

// client_allowed_sans: a verified client certificate must also name an allowed DNS name, email,
// IP address or URI.
TEST_F(TlsServed, ClientAllowedSansNarrowsVerifiedCertificates) {
  const std::string base =
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n";
  serve(base + "  client_allowed_sans: [nobody.example, prometheus.example]\n");
  EXPECT_TRUE(curl("--cert client.crt --key client.key").out.ends_with("\r\n\r\nx 1\n"));
  TearDown();
  serve(base + "  client_allowed_sans: [10.0.0.7]\n");
  EXPECT_TRUE(curl("--cert client.crt --key client.key").out.ends_with("\r\n\r\nx 1\n"));
  TearDown();
  serve(base + "  client_allowed_sans: [other.example, 10.0.0.8]\n");
  auto r = curl("--cert client.crt --key client.key");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("x 1"), std::string::npos) << r.out;
}

// Basic auth over plain HTTP (no tls_server_config), as exporter-toolkit allows.
TEST_F(TlsServed, BasicAuthWithoutTls) {
  serve("basic_auth_users:\n  prometheus: " + testing::bcrypt_hash("pw", 4, "$2b$") + "\n");
  EXPECT_TRUE(curl("-u prometheus:pw", "http").out.ends_with("\r\n\r\nx 1\n"));
  auto r = curl("-u prometheus:nope", "http");
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 401")) << r.out;
}

}  // namespace
}  // namespace tw
