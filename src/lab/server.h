// SPDX-License-Identifier: Apache-2.0
// The lab's server: one epoll thread inside a namespace. Protocol: every byte received is one
// request and is answered with one byte. Who closes first is the point of several scenarios, so
// it is a setting.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "lab/epoll_listener.h"
#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

enum class CloseMode {
  kClientFirst,  // answer, then close only after the client's FIN: the client holds TIME_WAIT
  kServerFirst,  // answer the first request, then close (HTTP/1.0 style): the server holds it
};

struct ServerConfig {
  std::string addr;
  uint16_t port = 0;
  CloseMode mode = CloseMode::kClientFirst;
  bool reuseaddr = true;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(const Netns& ns, ServerConfig config);
  ~Server();  // stops and joins the thread; open connections are closed normally
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int64_t accepted() const { return accepted_.load(); }
  int64_t requests() const { return requests_.load(); }

 private:
  Server() = default;
  void loop();
  ServerConfig config_;
  std::atomic<int64_t> accepted_{0}, requests_{0};
  EpollListener io_;  // last: destroyed first, so the thread stops before the rest
};

}  // namespace tw::lab
