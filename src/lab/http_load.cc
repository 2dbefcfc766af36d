// SPDX-License-Identifier: Apache-2.0
#include "lab/http_load.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "lab/sockets.h"
#include "lab/stop.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {
using Clock = std::chrono::steady_clock;
}

size_t http_response_length(const std::string& data, int* status) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  *status = data.size() > 12 ? std::atoi(data.c_str() + 9) : 0;  // "HTTP/1.1 200"
  size_t body = 0;
  for (const char* name : {"\r\nContent-Length:", "\r\ncontent-length:"}) {
    size_t at = data.find(name);
    if (at != std::string::npos && at < end)
      body = std::strtoull(data.c_str() + at + 17, nullptr, 10);
  }
  size_t total = end + 4 + body;
  return data.size() >= total ? total : 0;
}

Result<HttpLoadStats> run_http_load(const Netns& client, const HttpLoadConfig& c) {
  std::atomic<int64_t> next{0}, ok{0}, errors{0}, opened{0};
  std::mutex mu;
  std::string first_error;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::milliseconds(int64_t(c.seconds * 1000));
  const std::string request = fmt::format(
      "GET / HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: timewait-lab\r\n\r\n", c.addr, c.port);
  auto error = [&](const std::string& what) {
    ++errors;
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = what;
  };
  auto worker = [&] {
    os::UniqueFd owned;
    std::string data;
    char buf[16384];
    while (!stop_requested() && Clock::now() < deadline && next++ < c.requests) {
      if (!owned) {
        auto r = tcp_connect(c.addr, c.port);
        if (!r) {
          error(r.error());
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        owned = std::move(*r);
        ++opened;
        data.clear();
      }
      const int fd = owned.get();
      bool done = false;
      int status = 0;
      if (write_all(fd, request.data(), request.size())) {
        while (!done && Clock::now() < deadline) {
          if (size_t n = http_response_length(data, &status)) {
            data.erase(0, n);
            done = true;
            break;
          }
          if (!wait_readable(fd, 1000)) continue;
          ssize_t r = read(fd, buf, sizeof buf);
          if (r <= 0) break;
          data.append(buf, r);
        }
      }
      if (done && status == 200) {
        ++ok;
        continue;
      }
      error(done ? fmt::format("HTTP status {}", status) : "connection closed or timed out");
      owned.reset();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < c.connections; ++i) {
    auto t = client.spawn(worker);
    if (!t) {
      for (auto& th : threads) th.join();
      return fail(t.error());
    }
    threads.push_back(std::move(*t));
  }
  for (auto& th : threads) th.join();
  HttpLoadStats s;
  s.ok = ok;
  s.errors = errors;
  s.first_error = first_error;
  s.connections_opened = opened;
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return s;
}

}  // namespace tw::lab
