#include "exporter/request_deadline.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>
#include <vector>

namespace tw {

namespace {

// The same text httplib gives a handler as remote_addr and remote_port.
std::string peer_key(const std::string& address, int port) {
  return fmt::format("{}|{}", address, port);
}

std::string numeric_host(const sockaddr_storage& a, socklen_t len, int* port) {
  char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "";
  *port = std::atoi(serv);
  return host;
}

int local_port(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// Whether the receive queue holds a whole request head (a line ending the headers), or the
// client has closed: in both cases the reader will not wait on the client.
bool request_head_waiting(int fd) {
  static constexpr size_t kPeek = 16 * 1024;  // past httplib's 8 KiB line limit
  std::vector<char> buf(kPeek);
  ssize_t n = recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n < 0) return false;
  std::string_view got(buf.data(), static_cast<size_t>(n));
  return got.find("\r\n\r\n") != std::string_view::npos ||
         got.find("\n\n") != std::string_view::npos || static_cast<size_t>(n) == kPeek;
}

}  // namespace

RequestDeadline::RequestDeadline(int listen_port, std::chrono::milliseconds deadline,
                                 std::chrono::milliseconds period)
    : port_(listen_port), deadline_(deadline), period_(period) {
  thread_ = std::thread([this] { loop(); });
}

RequestDeadline::~RequestDeadline() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RequestDeadline::answered(const std::string& peer_address, int peer_port) {
  std::lock_guard lock(mu_);
  answered_.insert(peer_key(peer_address, peer_port));
}

int64_t RequestDeadline::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void RequestDeadline::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, period_, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    scan();
    lock.lock();
  }
}

void RequestDeadline::scan() {
  const auto now = std::chrono::steady_clock::now();
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  std::map<uint64_t, Connection> seen;
  std::set<std::string> peers;
  std::vector<int> late;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::atoi(e->d_name);
    if (fd == dirfd(dir)) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t llen = sizeof local, plen = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) != 0 ||
        local_port(local) != port_)
      continue;
    // The listening socket has no peer.
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) continue;
    int pport = 0;
    std::string key = peer_key(numeric_host(peer, plen, &pport), pport);
    peers.insert(key);
    std::lock_guard lock(mu_);
    auto known = connections_.find(st.st_ino);
    Connection c = known == connections_.end() ? Connection{now, key} : known->second;
    c.peer = key;
    if (!c.dropped && now - c.first_seen >= deadline_ && !answered_.count(key)) late.push_back(fd);
    seen.emplace(st.st_ino, std::move(c));
  }
  closedir(dir);
  for (int fd : late) {
    // A duplicate of the descriptor pins the socket: if httplib closed the fd meanwhile and
    // the number now names another socket, the inode check below sees it.
    int pinned = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (pinned < 0) continue;
    struct stat st;
    auto it = fstat(pinned, &st) == 0 ? seen.find(st.st_ino) : seen.end();
    if (it != seen.end() && !request_head_waiting(pinned)) {
      // Wakes the worker's read with end of file; httplib then closes its descriptor.
      shutdown(pinned, SHUT_RDWR);
      it->second.dropped = true;
      std::lock_guard lock(mu_);
      ++dropped_;
    }
    close(pinned);
  }
  std::lock_guard lock(mu_);
  connections_ = std::move(seen);
  std::erase_if(answered_, [&](const std::string& k) { return !peers.count(k); });
}

}  // namespace tw
