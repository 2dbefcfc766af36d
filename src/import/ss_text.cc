// SPDX-License-Identifier: Apache-2.0
#include "import/ss_text.h"

#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

namespace {

bool is_netid(std::string_view t) {
  static constexpr std::string_view kNetids[] = {
      "tcp",   "udp",  "raw",  "u_str", "u_dgr", "u_seq", "nl",   "p_raw", "p_dgr",
      "mptcp", "sctp", "tipc", "v_str", "v_dgr", "xdp",   "dccp", "icmp6", "u_sqp"};
  for (auto n : kNetids)
    if (t == n) return true;
  return false;
}

// Reads what -p, -o and -e append after the addresses.
void parse_extras(std::string_view rest, Socket* s) {
  if (size_t u = rest.find("users:(("); u != std::string_view::npos) {
    if (size_t p = rest.find("pid=", u); p != std::string_view::npos) {
      std::string_view v = rest.substr(p + 4);
      v = v.substr(0, v.find_first_of(",)"));
      uint32_t pid;
      if (parse_u32(v, &pid) && pid <= INT32_MAX) s->pid = static_cast<int32_t>(pid);
    }
  }
  if (size_t t = rest.find("timer:("); t != std::string_view::npos) {
    std::string_view v = rest.substr(t + 7);
    v = v.substr(0, v.find(')'));
    size_t c1 = v.find(',');
    if (c1 != std::string_view::npos) {
      std::string_view name = v.substr(0, c1);
      std::string_view when = v.substr(c1 + 1);
      when = when.substr(0, when.find(','));
      if (auto ms = parse_ss_timer(when)) s->timer_ms = *ms;
      // A FIN-WAIT-2 socket with the timewait timer is an orphan kept as a mini-socket.
      if (name == "timewait") s->mini = true;
    }
  }
  std::string_view f[32];
  size_t n = split_fields(rest, f, 32);
  for (size_t i = 0; i < n; ++i) {
    if (f[i].starts_with("uid:")) parse_u32(f[i].substr(4), &s->uid);
    if (f[i].starts_with("ino:")) {
      uint64_t ino;
      if (parse_u64(f[i].substr(4), &ino)) s->inode = ino;
    }
  }
}

}  // namespace

LineResult SsTextParser::parse(std::string_view line, Socket* s) {
  // -i and -e print details on indented lines below each socket.
  if (line[0] == '\t') return ignored_line("ss -i detail line");
  std::string_view f[7];
  size_t n = split_fields(line, f, 7);
  if (n >= 2 && (f[0] == "State" || f[0] == "Netid" || f[0] == "Recv-Q") &&
      line.find("Local Address") != std::string_view::npos) {
    netid_ = f[0] == "Netid";
    return header_line();
  }
  size_t i = 0;
  // ss -a without -t prints a Netid column; with -H there is no header to say so, but a netid
  // followed by a state name is one.
  if (n > 1 && is_netid(f[0]) && (netid_ || import_state(f[1]))) {
    if (f[0] != "tcp" && f[0] != "mptcp") return ignored_line("not TCP (ss netid)");
    i = 1;
  }
  *s = Socket{};
  std::optional<TcpState> state;
  uint64_t q;
  if (i < n && parse_u64(f[i], &q)) {
    // No state column: `ss ... state FILTER` output.
    if (!implied_)
      return bad_line(
          "no state column (output of `ss ... state FILTER`): say which state with --state");
    state = implied_;
  } else if (i < n) {
    state = import_state(f[i]);
    if (!state) return bad_line("unknown state name", std::string(f[i]));
    s->original_state = f[i];
    ++i;
  }
  if (n - i < 4) return bad_line("too few columns for ss (want State Recv-Q Send-Q Local Peer)");
  uint64_t rq, sq;
  if (!parse_u64(f[i], &rq) || !parse_u64(f[i + 1], &sq))
    return bad_line("Recv-Q/Send-Q are not numbers",
                    std::string(f[i]) + " " + std::string(f[i + 1]));
  if (auto e = parse_colon_endpoint(f[i + 2], &s->local); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[i + 2]));
  if (auto e = parse_colon_endpoint(f[i + 3], &s->remote); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[i + 3]));
  s->state = *state;
  // Every TIME-WAIT socket ss shows is a mini-socket (inet_timewait_sock).
  if (s->state == TcpState::kTimeWait) s->mini = true;
  size_t after = static_cast<size_t>(f[i + 3].data() + f[i + 3].size() - line.data());
  parse_extras(line.substr(after), s);
  return socket_line();
}

}  // namespace tw
