// SPDX-License-Identifier: Apache-2.0
// The lab's HTTP backend: one epoll thread answering every GET with a tiny 200 response. Like real
// servers it keeps an HTTP/1.1 connection open, and closes first (so holds the TIME_WAIT) after
// answering an HTTP/1.0 request or one with "Connection: close" — what a proxy without upstream
// keep-alive sends.
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

class HttpBackend {
 public:
  // closes_first = false: a backend that answers HTTP/1.0 with a Content-Length and leaves the
  // close to the client, so a proxy without upstream keep-alive closes first and holds the
  // TIME_WAIT (and its port) — the nginx incident of issue #25.
  static Result<std::unique_ptr<HttpBackend>> start(const Netns& ns, const std::string& addr,
                                                    uint16_t port, bool closes_first = true);
  ~HttpBackend();
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  int64_t accepted() const { return accepted_.load(); }  // connections opened to it
  int64_t requests() const { return requests_.load(); }
  int64_t closed_first() const { return closed_first_.load(); }  // closes it started

 private:
  HttpBackend() = default;
  void loop();
  bool closes_first_ = true;
  std::atomic<int64_t> accepted_{0}, requests_{0}, closed_first_{0};
  EpollListener io_;  // last: destroyed first, so the thread stops before the rest
};

// True when the request head (up to the blank line) asks the server to close after answering.
bool wants_close(const std::string& head);

}  // namespace tw::lab
