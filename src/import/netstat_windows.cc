#include "import/netstat_windows.h"

#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

LineResult NetstatWindowsParser::parse(std::string_view line, Socket* s) {
  std::string_view f[8];
  size_t n = split_fields(line, f, 8);
  Above above = above_;
  above_ = Above::kNone;
  if (f[0] == "Active" && n >= 2 && f[1] == "Connections") return header_line();
  if (f[0] == "Proto" && line.find("Local Address") != std::string_view::npos) return header_line();
  if (f[0] == "UDP") {
    above_ = Above::kUdp;
    return ignored_line("not TCP (UDP line)");
  }
  if (f[0] != "TCP") {
    // netstat -b: the owner of the row above, on lines of its own.
    std::string_view t = trim(line);
    bool bracketed = t.front() == '[' && t.back() == ']';
    bool unknown = t == "Can not obtain ownership information";
    bool component = n == 1 || t.starts_with("--");
    if (above != Above::kNone && (bracketed || unknown || component)) {
      above_ = above;
      if (above == Above::kUdp) return ignored_line("netstat -b owner line of a UDP socket");
      return owner_line(unknown ? std::string_view() : t);
    }
    if (bracketed || unknown) return ignored_line("netstat -b owner line with no socket above");
    return bad_line("not a Windows netstat TCP line", std::string(f[0]));
  }
  if (n < 4)
    return bad_line("too few columns for Windows netstat (want Proto Local Foreign State)");
  *s = Socket{};
  if (auto e = parse_colon_endpoint(f[1], &s->local); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[1]));
  if (auto e = parse_colon_endpoint(f[2], &s->remote); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[2]));
  auto state = import_state(f[3]);
  if (!state)
    return bad_line("unknown state name (only English names are known)", std::string(f[3]));
  s->state = *state;
  s->original_state = f[3];
  if (n >= 5) {
    uint32_t pid;
    if (!parse_u32(f[4], &pid) || pid > INT32_MAX)
      return bad_line("PID is not a number", std::string(f[4]));
    s->pid = static_cast<int32_t>(pid);
  }
  above_ = Above::kTcp;
  return socket_line();
}

}  // namespace tw
