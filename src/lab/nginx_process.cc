// SPDX-License-Identifier: Apache-2.0
#include "lab/nginx_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "lab/sockets.h"
#include "os/read_file.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

// A log's text without its last newline ("" when it cannot be read).
std::string slurp(const std::string& path) {
  std::string s = os::read_file(path).value_or("");
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Directories of nginx runs whose lab process is dead (killed with SIGKILL):
// /tmp/twlab-nginx-<pid>-*.
void remove_stale_dirs() {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/tmp", ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("twlab-nginx-")) continue;
    int pid = std::atoi(name.c_str() + 12);
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(e.path(), ec);
  }
}

}  // namespace

std::string nginx_conf(const NginxConfig& c, const std::string& dir) {
  std::string upstream_extra, location_extra;
  if (c.upstream_keepalive) {
    upstream_extra = fmt::format("    keepalive {};\n", c.keepalive_connections);
    location_extra =
        "      proxy_http_version 1.1;\n"
        "      proxy_set_header Connection \"\";\n";
  }
  return fmt::format(R"(# Written by timewait lab (nginx-proxy); removed when the run ends.
daemon off;
master_process off;
worker_processes 1;
pid {0}/nginx.pid;
error_log {0}/error.log warn;
events {{
  worker_connections 4096;
}}
http {{
  access_log off;
  client_body_temp_path {0}/client_body;
  proxy_temp_path {0}/proxy;
  fastcgi_temp_path {0}/fastcgi;
  uwsgi_temp_path {0}/uwsgi;
  scgi_temp_path {0}/scgi;
  keepalive_requests 100000;
  upstream backend {{
    server {1}:{2};
{3}  }}
  server {{
    listen {4}:{5};
    location / {{
      proxy_pass http://backend;
{6}    }}
  }}
}}
)",
                     dir, c.upstream_addr, c.upstream_port, upstream_extra, c.listen_addr,
                     c.listen_port, location_extra);
}

Result<std::string> find_nginx() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"})
    if (access(p, X_OK) == 0) return std::string(p);
  return fail("nginx is not installed: install it with `apt-get install nginx-light` (or nginx)");
}

Result<std::unique_ptr<Nginx>> Nginx::start(const Netns& ns, const NginxConfig& config) {
  auto bin = find_nginx();
  if (!bin) return fail(bin.error());
  std::unique_ptr<Nginx> n(new Nginx);
  remove_stale_dirs();
  std::string tmpl = fmt::format("/tmp/twlab-nginx-{}-XXXXXX", getpid());
  if (!mkdtemp(tmpl.data())) return fail("cannot create a temporary directory for nginx in /tmp");
  n->dir_ = tmpl;
  n->conf_ = n->dir_ + "/nginx.conf";
  {
    std::ofstream out(n->conf_);
    out << nginx_conf(config, n->dir_);
    if (!out) return fail("cannot write " + n->conf_);
  }
  std::string out_path = n->dir_ + "/stderr.log", err_log = n->dir_ + "/error.log";
  std::vector<std::string> args = {"ip",          "netns", "exec",   ns.name(), *bin,   "-p",
                                   n->dir_ + "/", "-c",    n->conf_, "-e",      err_log};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* ip = nullptr;
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (access(p, X_OK) == 0) ip = p;
  if (!ip) return fail("the ip tool is missing: install it with `apt-get install iproute2`");
  os::UniqueFd out_fd(open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  os::UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!out_fd || !null_fd) return fail("cannot open nginx's output file in " + n->dir_);
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec. PDEATHSIG (kept across exec): if the lab dies, even
    // by SIGKILL, nginx dies with it instead of living on in a deleted namespace.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(null_fd.get(), 0);
    dup2(out_fd.get(), 1);
    dup2(out_fd.get(), 2);
    execv(ip, argv.data());
    _exit(127);
  }
  int fork_errno = errno;
  out_fd.reset();
  null_fd.reset();
  if (pid < 0) return fail(fmt::format("cannot start nginx: fork: {}", strerror(fork_errno)));
  n->pid_ = pid;  // from here on the destructor stops it

  // `ip netns exec` execs nginx in place, so pid is nginx's. Wait until it listens.
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      n->pid_ = -1;
      std::string why = slurp(err_log);
      if (why.empty()) why = slurp(out_path);
      return fail(fmt::format("nginx exited at start ({}); config {}", why, n->conf_));
    }
    Result<os::UniqueFd> fd = fail("not run");
    (void)ns.run_in([&] {
      ConnectOptions o;
      o.timeout_ms = 200;
      fd = tcp_connect(config.listen_addr, config.listen_port, o);
    });
    if (fd) {
      fd->reset();
      return n;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail(fmt::format("nginx did not listen on {}:{} within 5 s: {}", config.listen_addr,
                          config.listen_port, slurp(err_log)));
}

bool Nginx::stop() {
  if (pid_ < 0) return true;
  kill(pid_, SIGQUIT);
  bool graceful = false;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      graceful = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!graceful) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return graceful;
}

Nginx::~Nginx() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace tw::lab
