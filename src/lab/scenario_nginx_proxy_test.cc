// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_nginx_proxy.h"

#include <gtest/gtest.h>

#include "lab/http_backend.h"
#include "lab/http_load.h"
#include "lab/nginx_process.h"

namespace tw::lab {
namespace {

TEST(HttpBackend, ClosesAfterHttp10OrConnectionClose) {
  EXPECT_TRUE(wants_close("GET / HTTP/1.0\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(wants_close("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(wants_close("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(wants_close("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
}

TEST(HttpLoad, ResponseLength) {
  int status = 0;
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\nHTTP/1.1";
  EXPECT_EQ(http_response_length(r, &status), r.size() - 8);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(http_response_length("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok", &status), 0u);
}

TEST(Nginx, ConfigHasUpstreamKeepaliveOnlyWhenAsked) {
  NginxConfig c{"10.77.1.2", 8080, "10.77.2.2", 8080, false, 32};
  std::string plain = nginx_conf(c, "/tmp/x");
  EXPECT_EQ(plain.find("keepalive 32;"), std::string::npos);
  EXPECT_NE(plain.find("pid /tmp/x/nginx.pid;"), std::string::npos);
  c.upstream_keepalive = true;
  std::string keep = nginx_conf(c, "/tmp/x");
  EXPECT_NE(keep.find("keepalive 32;"), std::string::npos);
  EXPECT_NE(keep.find("proxy_http_version 1.1;"), std::string::npos);
  EXPECT_NE(keep.find("proxy_set_header Connection \"\";"), std::string::npos);
}

// nginx is a test dependency (.ci/run installs it): its absence fails with the install hint.
TEST(NginxProxyScenario, UpstreamKeepaliveOpensFarFewerConnections) {
  auto plain = measure_nginx_proxy(false, 1500, 4);
  ASSERT_TRUE(plain) << plain.error();
  auto keep = measure_nginx_proxy(true, 1500, 4);
  ASSERT_TRUE(keep) << keep.error();
  EXPECT_EQ(plain->load.ok, 1500) << plain->load.first_error;
  EXPECT_EQ(keep->load.ok, 1500) << keep->load.first_error;
  EXPECT_GE(plain->upstream_connections, 1400);
  EXPECT_LE(keep->upstream_connections, 10);
  EXPECT_GE(plain->proxy_time_wait + plain->backend_time_wait, 750);
  EXPECT_GE(plain->backend_time_wait, 10 * (keep->backend_time_wait + 1));
  EXPECT_LE(keep->proxy_time_wait + keep->backend_time_wait, 10);
}

}  // namespace
}  // namespace tw::lab
