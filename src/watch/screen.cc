// SPDX-License-Identifier: Apache-2.0
#include "watch/screen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "census/table.h"
#include "model/format.h"

namespace tw::watch {

namespace {

// Keeps a line within the screen's width: spans past it are cut.
class LineBuilder {
 public:
  explicit LineBuilder(size_t width) : width_(width) {}
  LineBuilder& add(std::string text, Attr attr = Attr::kNormal) {
    if (used_ >= width_ || text.empty()) return *this;
    if (text.size() > width_ - used_) text.resize(width_ - used_);
    used_ += text.size();
    line_.spans.push_back({std::move(text), attr});
    return *this;
  }
  // Pads the line to the full width (a title bar in reverse video spans the screen).
  LineBuilder& fill(Attr attr) {
    if (used_ < width_) add(std::string(width_ - used_, ' '), attr);
    return *this;
  }
  size_t used() const { return used_; }
  size_t left() const { return width_ - used_; }
  Line take() { return std::move(line_); }

 private:
  size_t width_, used_ = 0;
  Line line_;
};

Line plain(size_t width, std::string text, Attr attr = Attr::kNormal) {
  return LineBuilder(width).add(std::move(text), attr).take();
}

std::string pad_left(const std::string& s, size_t n) {
  return s.size() >= n ? s : std::string(n - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, size_t n) {
  return s.size() >= n ? s : s + std::string(n - s.size(), ' ');
}
// A key too long for its column keeps its end (the remote address and port matter most).
std::string fit_key(const std::string& s, size_t n) {
  if (s.size() <= n) return pad_right(s, n);
  if (n <= 2) return s.substr(s.size() - n);
  return ".." + s.substr(s.size() - (n - 2));
}

// `s` within `n` columns: whole words, then "..." when some were left out.
std::string cut_at_word(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  if (n <= 3) return std::string(std::min<size_t>(n, 3), '.');
  size_t end = s.rfind(' ', n - 3);
  if (end == std::string::npos || end == 0) end = n - 3;
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == ',' || s[end - 1] == ':')) --end;
  return s.substr(0, end) + "...";
}

Attr severity_attr(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return Attr::kCritical;
    case Severity::kWarning:
      return Attr::kWarning;
    case Severity::kOk:
      return Attr::kOk;
    default:
      return Attr::kNormal;
  }
}

Attr level_attr(const Row& r) {
  if (!r.forecast) return Attr::kNormal;
  switch (r.forecast->level()) {
    case Severity::kCritical:
      return Attr::kCritical;
    case Severity::kWarning:
      return Attr::kWarning;
    default:
      return Attr::kOk;
  }
}

std::string clock_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string interval_text(double s) {
  return s == std::floor(s) ? fmt::format("{}s", s) : fmt::format("{:.1f}s", s);
}

Line title_line(const Frame& f, const ViewState& v, double interval_s, size_t width) {
  LineBuilder b(width);
  // First, where it cannot be cut off: a frozen screen must say so.
  if (v.paused) b.add(" PAUSED", Attr::kWarning);
  b.add(fmt::format(" timewait watch  {}  {}  every {}  census {:.0f} ms  #{}",
                    f.title.empty() ? f.target : f.title, clock_text(f.wall),
                    interval_text(interval_s), f.census_seconds * 1000, f.sequence),
        Attr::kTitle);
  return b.fill(Attr::kTitle).take();
}

// The state counts, two to a line when the width allows.
void state_lines(const Frame& f, size_t width, std::vector<Line>& out) {
  constexpr size_t kCell = 37;
  const size_t per_line = width >= 2 * kCell + 3 ? 2 : 1;
  auto cell = [](std::string_view name, const Moving& m) {
    return fmt::format("{:<11}{:>9}{:>8}{:>9}", name, with_commas(m.now),
                       signed_count(m.since_last), signed_count(m.since_start));
  };
  LineBuilder head(width);
  for (size_t i = 0; i < per_line; ++i) {
    if (i) head.add(" | ", Attr::kDim);
    head.add(fmt::format("{:<11}{:>9}{:>8}{:>9}", "STATE", "NOW", "+LAST", "+START"),
             Attr::kHeader);
  }
  out.push_back(head.take());
  std::vector<std::pair<std::string, Moving>> cells;
  for (const StateLine& s : f.states) cells.emplace_back(std::string(ss_name(s.state)), s.count);
  cells.emplace_back("TOTAL", f.total);
  for (size_t i = 0; i < cells.size(); i += per_line) {
    LineBuilder b(width);
    for (size_t j = i; j < std::min(cells.size(), i + per_line); ++j) {
      if (j > i) b.add(" | ", Attr::kDim);
      b.add(cell(cells[j].first, cells[j].second),
            cells[j].first == "TOTAL" ? Attr::kHeader : Attr::kNormal);
    }
    out.push_back(b.take());
  }
}

Line rate_line(const Frame& f, size_t width) {
  LineBuilder b(width);
  b.add(f.sockstat_tw ? fmt::format("sockstat tw {}", with_commas(*f.sockstat_tw))
                      : std::string("sockstat tw -"));
  if (f.fin_wait2_mini) b.add(fmt::format(" (FIN-WAIT-2 mini {})", with_commas(f.fin_wait2_mini)));
  b.add("   TIME_WAIT made ");
  b.add(format_rate(f.time_wait_rate_10s), Attr::kHeader);
  b.add(" over 10 s, ");
  b.add(format_rate(f.time_wait_rate_60s), Attr::kHeader);
  b.add(" over 60 s");
  return b.take();
}

Line history_line(const Frame& f, size_t width) {
  LineBuilder b(width);
  if (f.rate_history.size() < 2)
    return b.add("TW/s 10s history: from the next refresh", Attr::kDim).take();
  const double peak = *std::max_element(f.rate_history.begin(), f.rate_history.end());
  const std::string head = fmt::format("TW/s 10s, last {} ", short_duration(f.history_seconds));
  const std::string tail = fmt::format(" peak {}", format_rate(peak));
  b.add(head);
  if (b.left() > tail.size() + 4) {
    const size_t w = std::min(f.rate_history.size(), b.left() - tail.size() - 2);
    b.add("[", Attr::kDim).add(sparkline(f.rate_history, w), Attr::kHeader).add("]", Attr::kDim);
  }
  return b.add(tail).take();
}

Line counter_line(const Frame& f, size_t width) {
  LineBuilder b(width);
  if (f.counters.empty())
    return b.add("TcpExt: TCPTimeWaitOverflow, TWRecycled, TWKilled, PAWS* unchanged", Attr::kDim)
        .take();
  b.add("TcpExt since start:");
  for (const CounterLine& c : f.counters) {
    b.add(fmt::format(" {} {}", c.name, signed_count(c.value.since_start)));
    // Growth since the last refresh is the news: it stands out.
    if (c.value.since_last > 0)
      b.add(fmt::format(" ({})", signed_count(c.value.since_last)), Attr::kGrow);
    b.add(" ");
  }
  return b.take();
}

struct Column {
  std::string header;
  std::vector<std::string> cells;
  size_t width = 0;
};

void row_lines(const Frame& f, const ViewState& v, size_t width, size_t room,
               std::vector<Line>& out) {
  const bool tuples = f.by == GroupBy::kTuple;
  std::vector<const Row*> rows = visible_rows(f, v.sort, v.filter);
  const std::string what = tuples ? "destinations" : fmt::format("{} groups", group_by_name(f.by));
  LineBuilder sub(width);
  sub.add(fmt::format("{} {} by {}", rows.size(), what, sort_key_name(v.sort)));
  if (!v.filter.empty()) sub.add(fmt::format(" matching '{}'", v.filter), Attr::kWarning);
  if (rows.size() != f.rows.size()) sub.add(fmt::format(" (of {})", f.rows.size()));
  if (tuples && f.pool) {
    // What connect() can take: the pool less the ports bind() holds (listeners, bound sockets),
    // as the rows count it; a listener inside makes it 999 of 1,000.
    int64_t usable = f.pool->usable();
    for (const Row& r : f.rows)
      if (!r.bind_pool && r.forecast) usable = std::min(usable, r.forecast->available);
    sub.add(usable == f.pool->usable()
                ? fmt::format("   ports {}-{}, {} per destination", f.pool->low, f.pool->high,
                              with_commas(usable))
                : fmt::format("   ports {}-{}, {} usable, {} for connect() per destination",
                              f.pool->low, f.pool->high, with_commas(f.pool->usable()),
                              with_commas(usable)),
            Attr::kDim);
  }
  out.push_back(sub.take());
  if (room < 3) return;
  const size_t avail = room - 2;  // under the line above and the column headers
  const size_t shown = rows.size() <= avail ? rows.size() : avail - 1;

  std::vector<Column> cols;
  auto column = [&](std::string header, auto cell) {
    Column c{std::move(header), {}, 0};
    for (size_t i = 0; i < shown; ++i) c.cells.push_back(cell(*rows[i]));
    c.width = c.header.size();
    for (const auto& s : c.cells) c.width = std::max(c.width, s.size());
    cols.push_back(std::move(c));
  };
  column(tuples ? "IN USE" : "SOCKETS", [](const Row& r) { return with_commas(r.sockets); });
  column("TIME-WAIT", [](const Row& r) { return with_commas(r.time_wait); });
  if (tuples) column("USABLE", [](const Row& r) { return with_commas(r.forecast->available); });
  if (tuples) column("FREE", [](const Row& r) { return with_commas(r.forecast->free_ports); });
  column("TW/s 10s", [](const Row& r) { return format_rate(r.rate_10s); });
  if (tuples) column("ETA", [](const Row& r) { return eta_text(*r.forecast); });
  column(tuples ? "USED" : "SHARE", [](const Row& r) { return format_percent(r.share); });
  size_t fixed = 0;
  for (const Column& c : cols) fixed += c.width + 1;
  size_t longest = tuples ? 20 : 8;
  for (size_t i = 0; i < shown; ++i) longest = std::max(longest, rows[i]->key.size());
  // The numbers come first; the key takes what is left, then the bar.
  const size_t key_w = std::min(longest, width > fixed + 8 ? width - fixed : 8);
  const size_t bar_w =
      width > key_w + fixed + 6 ? std::min<size_t>(width - key_w - fixed - 1, 30) : 0;

  LineBuilder head(width);
  head.add(pad_right(tuples ? "LOCAL -> REMOTE" : std::string(group_by_name(f.by)), key_w),
           Attr::kHeader);
  for (const Column& c : cols) head.add(" " + pad_left(c.header, c.width), Attr::kHeader);
  out.push_back(head.fill(Attr::kHeader).take());
  for (size_t i = 0; i < shown; ++i) {
    const Row& r = *rows[i];
    const Attr level = level_attr(r);
    LineBuilder b(width);
    b.add(fit_key(r.key, key_w));
    for (size_t c = 0; c < cols.size(); ++c)
      b.add(" " + pad_left(cols[c].cells[i], cols[c].width),
            c + 1 == cols.size() ? level : Attr::kNormal);
    if (bar_w) {
      const size_t n =
          static_cast<size_t>(std::lround(std::clamp(r.share, 0.0, 100.0) / 100 * bar_w));
      b.add(" ");
      b.add(std::string(n, '#'), level == Attr::kNormal ? Attr::kHeader : level);
      b.add(std::string(bar_w - n, '.'), Attr::kDim);
    }
    out.push_back(b.take());
  }
  if (shown < rows.size())
    out.push_back(
        plain(width, fmt::format("... {} more (/ filters)", rows.size() - shown), Attr::kDim));
  if (rows.empty())
    out.push_back(plain(width,
                        !v.filter.empty() ? fmt::format("nothing matches '{}'", v.filter)
                        : tuples          ? "no connection holds an ephemeral port"
                                          : "no sockets in these states",
                        Attr::kDim));
}

void finding_lines(const Frame& f, size_t width, size_t room, std::vector<Line>& out) {
  out.push_back(plain(width, "Doctor findings, worst first (d: back)", Attr::kHeader));
  if (f.findings.empty()) {
    out.push_back(plain(width, "the doctor found nothing to report", Attr::kDim));
    return;
  }
  size_t n = 0;
  for (const FindingLine& x : f.findings) {
    if (++n >= room) break;
    LineBuilder b(width);
    b.add(pad_right(std::string(severity_name(x.severity)), 9), severity_attr(x.severity));
    b.add(pad_right(x.id, 24)).add(x.title, x.checked ? Attr::kNormal : Attr::kDim);
    out.push_back(b.take());
  }
}

void help_lines(size_t width, std::vector<Line>& out) {
  static const char* const kHelp[] = {
      "Keys (?: back)",
      "  q        quit",
      "  p/space  pause: the screen keeps its numbers; press again to go on",
      "  s        sort destinations by pressure (worst level, then soonest ETA), rate, TIME-WAIT",
      "  /        filter by text in LOCAL -> REMOTE (Enter keeps it, Esc clears)",
      "  d        the doctor's findings, worst first (timewait doctor for the fixes)",
      "Columns: IN USE ports of the pool held toward the destination, any state;",
      "  USABLE ports connect() can use toward it; FREE those it can take now;",
      "  a row \"ADDR (bind, N dest.)\" is the pool bind() before connect() draws from;",
      "  TW/s 10s TIME_WAITs made per second",
      "  (from the TIME_WAIT timers); ETA when no port is left at that rate.",
      "+LAST / +START: change since the previous refresh and since watch started.",
  };
  for (size_t i = 0; i < std::size(kHelp); ++i)
    out.push_back(plain(width, kHelp[i], i == 0 ? Attr::kHeader : Attr::kNormal));
}

Line worst_line(const Frame& f, size_t width) {
  if (!f.error.empty())
    return plain(width, "cannot read " + f.target + ": " + f.error, Attr::kCritical);
  if (f.findings.empty()) return plain(width, "doctor: nothing to report", Attr::kDim);
  const FindingLine& w = f.findings.front();
  if (w.severity < Severity::kWarning)
    return plain(width,
                 fmt::format("doctor: no warning ({} checks, worst {}; d lists them)",
                             f.findings.size(), severity_name(w.severity)),
                 Attr::kOk);
  LineBuilder b(width);
  b.add(fmt::format("doctor {}: ", severity_name(w.severity)), severity_attr(w.severity));
  // The id names the finding to look up (`d`, `timewait doctor`): it stays, and a title too long
  // for the rest is cut at a word, never inside one.
  const std::string id = fmt::format(" [{}]", w.id);
  return b.add(cut_at_word(w.title, b.left() > id.size() ? b.left() - id.size() : 0) + id).take();
}

Line key_line(const ViewState& v, size_t width) {
  LineBuilder b(width);
  if (v.editing)
    return b.add(" filter: ", Attr::kTitle)
        .add(v.draft + "_", Attr::kTitle)
        .add("   Enter keep  Esc clear", Attr::kTitle)
        .fill(Attr::kTitle)
        .take();
  b.add(fmt::format(" q quit  p {}  s sort: {}  / filter  d findings  ? help",
                    v.paused ? "resume" : "pause", sort_key_name(v.sort)),
        Attr::kTitle);
  return b.fill(Attr::kTitle).take();
}

}  // namespace

std::string Line::text() const {
  std::string s;
  for (const Span& sp : spans) s += sp.text;
  return s;
}

std::string signed_count(int64_t n) {
  if (n == 0) return "0";
  return (n > 0 ? "+" : "-") + with_commas(n > 0 ? n : -n);
}

std::string short_duration(double seconds) {
  const int64_t s = std::max<int64_t>(0, std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

std::string sparkline(const std::vector<double>& values, size_t width) {
  static constexpr std::string_view kLevels = "_.:-=+*#@";
  if (values.empty() || width == 0) return "";
  const size_t per = (values.size() + width - 1) / width;
  std::vector<double> cols;
  // Buckets end at the newest value, so the last character is always the latest refresh.
  for (size_t end = values.size(); end > 0 && cols.size() < width;) {
    const size_t begin = end > per ? end - per : 0;
    cols.push_back(*std::max_element(values.begin() + begin, values.begin() + end));
    end = begin;
  }
  std::reverse(cols.begin(), cols.end());
  const double peak = *std::max_element(cols.begin(), cols.end());
  std::string out;
  for (double v : cols) {
    size_t i = peak > 0 ? static_cast<size_t>(std::lround(v / peak * (kLevels.size() - 1))) : 0;
    if (v > 0 && i == 0) i = 1;  // anything above zero shows above the baseline
    out.push_back(kLevels[std::min(i, kLevels.size() - 1)]);
  }
  return out;
}

std::vector<Line> layout(const Frame& f, const ViewState& v, double interval_s, size_t width,
                         size_t height) {
  std::vector<Line> out;
  if (width < kMinWidth || height < kMinHeight) {
    // In words over the lines there are: one line cut at 20 columns said only "timewait watch
    // needs".
    std::istringstream words(wrap_text(fmt::format("timewait watch needs {}x{}; this is {}x{}",
                                                   kMinWidth, kMinHeight, width, height),
                                       width));
    for (std::string l; out.size() < height && std::getline(words, l);)
      out.push_back(plain(width, l));
    out.resize(height);
    return out;
  }
  out.push_back(title_line(f, v, interval_s, width));
  if (f.error.empty()) {
    state_lines(f, width, out);
    out.push_back(rate_line(f, width));
    out.push_back(history_line(f, width));
    out.push_back(counter_line(f, width));
    // Keep the middle at least a few lines on a short screen: the top gives way, and with it the
    // state table's header when none of its rows is left under it.
    const size_t top_max = height > 8 ? height - 8 : 1;
    if (out.size() > top_max) out.resize(top_max < 3 ? 1 : top_max);
    out.push_back(Line{});
    const size_t room = height - out.size() - 2;
    switch (v.panel) {
      case Panel::kRows:
        row_lines(f, v, width, room, out);
        break;
      case Panel::kFindings:
        finding_lines(f, width, room, out);
        break;
      case Panel::kHelp:
        help_lines(width, out);
        break;
    }
  }
  out.resize(height - 2);
  out.push_back(worst_line(f, width));
  out.push_back(key_line(v, width));
  return out;
}

}  // namespace tw::watch
