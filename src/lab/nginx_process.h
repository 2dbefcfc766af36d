// SPDX-License-Identifier: Apache-2.0
// A real nginx for the lab: its configuration is written into a fresh temporary directory (with
// its pid file, logs and temp paths), it runs in the foreground (`daemon off; master_process
// off;`) inside one lab namespace (`ip netns exec`), and it is stopped and the directory removed
// when the object dies, also on error paths.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct NginxConfig {
  std::string listen_addr;
  uint16_t listen_port = 8080;
  std::string upstream_addr;
  uint16_t upstream_port = 8080;
  // `keepalive N;` in the upstream block, with proxy_http_version 1.1 and an empty Connection
  // header; without it nginx opens a new upstream connection per request (HTTP/1.0, close).
  bool upstream_keepalive = false;
  int keepalive_connections = 32;
};

// The nginx.conf for `config`, with every path inside `dir`.
std::string nginx_conf(const NginxConfig& config, const std::string& dir);

// The nginx binary, or an error saying how to install it.
Result<std::string> find_nginx();

class Nginx {
 public:
  // Starts nginx and waits (at most 5 s) until it accepts connections on the listen address.
  // nginx gets SIGKILL when the calling thread ends (PR_SET_PDEATHSIG), so that a killed lab
  // leaves no nginx behind: call it from a thread that outlives the object (the main thread).
  static Result<std::unique_ptr<Nginx>> start(const Netns& ns, const NginxConfig& config);
  ~Nginx();  // SIGQUIT (graceful), SIGKILL after 3 s, then the directory is removed
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& conf() const { return conf_; }
  // Stops nginx now; true when it exited on its own after SIGQUIT.
  bool stop();

 private:
  Nginx() = default;
  std::string dir_, conf_;
  pid_t pid_ = -1;
};

}  // namespace tw::lab
