// SPDX-License-Identifier: Apache-2.0
#include "import/proc_text.h"

#include "import/text_fields.h"
#include "sources/procfs_tcp.h"

namespace tw {

LineResult ProcTextParser::parse(std::string_view line, Socket* s) {
  if (is_proc_tcp_header(line)) return header_line();
  auto r = parse_proc_tcp_line(line);
  if (!r) return bad_line("not a /proc/net/tcp line", r.error());
  *s = *r;
  // The st column, as the kernel printed it ("06").
  std::string_view f[4];
  if (split_fields(line, f, 4) == 4) s->original_state = f[3];
  return socket_line();
}

}  // namespace tw
