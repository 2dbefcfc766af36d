// A deadline for a whole request. httplib's timeouts bound each read, not the request: a client
// that sends one byte every few seconds (slowloris) held a worker for as long as it liked, and a
// handful of them starved every scraper (measured: 16 such clients, 8 workers, a scrape still
// unanswered after 30 s). httplib hands a worker an accepted socket without telling us which, so
// this watchdog finds the server's connections itself (its own sockets whose local port is the
// listening port, from /proc/self/fd) and shuts down each one whose request has not reached a
// handler `deadline` after it was first seen, unless a whole request head already waits in its
// receive queue (a connection queued behind busy workers is not slow, only late).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace tw {

class RequestDeadline {
 public:
  RequestDeadline(int listen_port, std::chrono::milliseconds deadline,
                  std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~RequestDeadline();
  RequestDeadline(const RequestDeadline&) = delete;
  RequestDeadline& operator=(const RequestDeadline&) = delete;

  // A request from this peer (numeric address, port) reached a handler: its connection is no
  // longer waiting for a request.
  void answered(const std::string& peer_address, int peer_port);
  // One pass now (the thread runs one per period).
  void scan();
  int64_t dropped() const;

 private:
  struct Connection {
    std::chrono::steady_clock::time_point first_seen;
    std::string peer;
    bool dropped = false;
  };
  void loop();

  const int port_;
  const std::chrono::milliseconds deadline_, period_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<uint64_t, Connection> connections_;  // by socket inode
  std::set<std::string> answered_;              // peers whose request reached a handler
  int64_t dropped_ = 0;
  std::thread thread_;
};

}  // namespace tw
