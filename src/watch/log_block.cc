// SPDX-License-Identifier: Apache-2.0
#include "watch/log_block.h"

#include <fmt/format.h>

#include "model/format.h"
#include "watch/screen.h"

namespace tw::watch {

std::string render_log_block(const Frame& f, size_t top) {
  std::string out = fmt::format("{} {} #{}", utc_timestamp(f.wall),
                                f.title.empty() ? f.target : f.title, f.sequence);
  if (!f.error.empty()) return out + " error: " + f.error + "\n";
  for (const StateLine& s : f.states)
    out += fmt::format("  {} {} ({})", ss_name(s.state), with_commas(s.count.now),
                       signed_count(s.count.since_last));
  out += fmt::format("  TOTAL {} ({})", with_commas(f.total.now), signed_count(f.total.since_last));
  if (f.sockstat_tw) out += fmt::format("  sockstat-tw {}", with_commas(*f.sockstat_tw));
  out += fmt::format("  TW/s {} 10s {} 60s\n", format_rate(f.time_wait_rate_10s),
                     format_rate(f.time_wait_rate_60s));
  if (!f.note.empty()) out += "  note: " + f.note + "\n";
  if (!f.counters.empty()) {
    out += "  TcpExt";
    for (const CounterLine& c : f.counters)
      out += fmt::format(" {} {} ({} since start)", c.name, signed_count(c.value.since_last),
                         signed_count(c.value.since_start));
    out += "\n";
  }
  const bool tuples = f.by == GroupBy::kTuple;
  for (size_t i = 0; i < f.rows.size() && i < top; ++i) {
    const Row& r = f.rows[i];
    if (tuples)
      out += fmt::format("  {}  in-use {}  time-wait {}  usable {}  {}  eta {}  {} {}\n", r.key,
                         with_commas(r.sockets), with_commas(r.time_wait),
                         with_commas(r.forecast->free_ports), format_rate(r.rate_10s),
                         eta_text(*r.forecast), format_percent(r.share),
                         severity_name(r.forecast->level()));
    else
      out += fmt::format("  {}  sockets {}  time-wait {}  {}\n", r.key, with_commas(r.sockets),
                         with_commas(r.time_wait), format_rate(r.rate_10s));
  }
  if (f.rows.size() > top) out += fmt::format("  ... {} more\n", f.rows.size() - top);
  // A log keeps what needs attention; `timewait doctor` lists the rest.
  if (!f.findings.empty() && f.findings.front().severity >= Severity::kWarning)
    out += fmt::format("  doctor {}: {} [{}]\n", severity_name(f.findings.front().severity),
                       f.findings.front().title, f.findings.front().id);
  return out;
}

}  // namespace tw::watch
