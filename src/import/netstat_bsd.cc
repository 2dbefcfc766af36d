#include "import/netstat_bsd.h"

#include <sys/socket.h>

#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

LineResult NetstatBsdParser::parse(std::string_view line, Socket* s) {
  std::string_view f[8];
  size_t n = split_fields(line, f, 8);
  if (f[0] == "Active" || f[0] == "Registered") {
    other_section_ = line.find("Internet") == std::string_view::npos;
    return header_line();
  }
  if (f[0] == "Proto") return header_line();
  if (other_section_) return ignored_line("not TCP (unix socket or kernel control line)");
  if (f[0].starts_with("udp") || f[0].starts_with("icm") || f[0].starts_with("raw"))
    return ignored_line("not TCP (udp or raw socket line)");
  uint8_t family;
  if (f[0] == "tcp4") {
    family = AF_INET;
  } else if (f[0] == "tcp6" || f[0] == "tcp46") {
    family = AF_INET6;
  } else {
    return bad_line("not a BSD netstat tcp line", std::string(f[0]));
  }
  if (n < 6)
    return bad_line(
        "too few columns for BSD netstat (want Proto Recv-Q Send-Q Local Foreign (state))");
  uint64_t q;
  if (!parse_u64(f[1], &q) || !parse_u64(f[2], &q))
    return bad_line("Recv-Q/Send-Q are not numbers", std::string(f[1]) + " " + std::string(f[2]));
  *s = Socket{};
  for (int k = 0; k < 2; ++k) {
    Endpoint* ep = k == 0 ? &s->local : &s->remote;
    auto e = parse_dot_endpoint(f[3 + k], ep, family);
    if (e == EndpointError::kNoSeparator)
      return bad_line("not an ADDRESS.PORT endpoint", std::string(f[3 + k]));
    if (e != EndpointError::kNone) return bad_line(endpoint_reason(e), std::string(f[3 + k]));
  }
  auto state = import_state(f[5]);
  if (!state) return bad_line("unknown state name", std::string(f[5]));
  s->state = *state;
  s->original_state = f[5];
  return socket_line();
}

}  // namespace tw
