// SPDX-License-Identifier: Apache-2.0
#include "import/import.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "import/detect.h"
#include "import/formats.h"
#include "import/line_reader.h"
#include "import/ss_diag.h"
#include "import/text_fields.h"
#include "import/unsupported.h"
#include "model/portable.h"
#include "os/unique_fd.h"
#include "sources/netlink_diag.h"
#include "sources/snapshot_file.h"

namespace tw {

namespace {

constexpr size_t kHeadLines = 40;      // non-blank lines that detection looks at
constexpr size_t kHeadMaxLines = 400;  // lines buffered for detection at most, blank or not
constexpr size_t kExamples = 10;
constexpr size_t kSpellings = 64;
constexpr size_t kMaxOwner = 512;  // bytes of netstat -b owner text kept per socket

std::string format_list() {
  std::string out;
  for (auto& n : import_format_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

// A line any tool would print for a TCP socket: its protocol column (first, or after netstat -A's
// control block address) says tcp. Reading none of them as sockets is a wrong format, not an
// empty census.
bool looks_tcp(std::string_view line) {
  std::string_view f[2];
  size_t n = split_fields(line, f, 2);
  for (size_t i = 0; i < n; ++i) {
    std::string p;
    for (char c : f[i]) p.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (p == "tcp" || p == "tcp4" || p == "tcp6" || p == "tcp46") return true;
  }
  return false;
}

std::string shorten(std::string_view s, size_t max = 80) {
  s = trim(s);
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

Result<int> open_input(const std::string& path, const std::string& shown) {
  if (path == "-") return STDIN_FILENO;
  os::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT)
      return fail(
          fmt::format("{} does not exist: check the path (use - to read standard input)", shown));
    return fail(fmt::format("cannot open {}: {}", shown, std::strerror(err)));
  }
  struct stat st;
  if (fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode))
    return fail(fmt::format("{} is a directory; give the file holding the dump", shown));
  return fd.release();  // the LineReader's from here
}

// read_snapshot() takes a path. Input that cannot be opened again by name (standard input, a
// pipe) is copied to a temporary file first: disk, not memory, grows with the input.
Result<ImportReport> import_snapshot(const ImportOptions& o, const std::string& shown,
                                     LineReader* reader, HostFacts* facts, const SocketSink& sink) {
  ImportReport report;
  report.format = std::string(kSnapshotFormat);
  std::string path = o.path;
  std::string tmp;
  struct stat st;
  if (o.path == "-" || stat(o.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    const char* dir = std::getenv("TMPDIR");
    tmp = fmt::format("{}/timewait-snapshot-XXXXXX", dir && *dir ? dir : "/tmp");
    os::UniqueFd out(mkstemp(tmp.data()));
    if (!out)
      return fail(fmt::format("cannot make a temporary copy of {} to read it as a snapshot: {}",
                              shown, std::strerror(errno)));
    bool ok = write(out.get(), reader->first_block().data(), reader->first_block().size()) ==
              static_cast<ssize_t>(reader->first_block().size());
    const int in = reader->release_fd();
    os::UniqueFd owned_in(in > STDERR_FILENO ? in : -1);  // standard input stays open
    char buf[64 * 1024];
    ssize_t n;
    while (ok && (n = read(in, buf, sizeof buf)) > 0) ok = write(out.get(), buf, n) == n;
    ok = out.close() == 0 && ok;
    if (!ok) {
      unlink(tmp.c_str());
      return fail(fmt::format("cannot make a temporary copy of {} in {}: {}", shown,
                              dir && *dir ? dir : "/tmp", std::strerror(errno)));
    }
    path = tmp;
  }
  auto r = read_snapshot(path, facts, [&](const Socket& s) {
    ++report.sockets;
    sink(s);
  });
  if (!tmp.empty()) unlink(tmp.c_str());
  if (!r) {
    std::string msg = r.error();
    if (!tmp.empty()) {
      // Name what the user gave, not the temporary copy.
      for (size_t p; (p = msg.find(tmp)) != std::string::npos;) msg.replace(p, tmp.size(), shown);
    }
    return fail(msg);
  }
  return report;
}

}  // namespace

std::vector<std::string> import_format_names() {
  std::vector<std::string> out;
  for (auto& f : text_formats()) out.emplace_back(f.name);
  out.emplace_back(kSnapshotFormat);
  out.emplace_back(kSsDiagFormat);
  return out;
}

Result<ImportReport> import_file(const ImportOptions& o, HostFacts* facts, const SocketSink& sink) {
  if (!o.format.empty() && o.format != kSnapshotFormat && o.format != kSsDiagFormat &&
      !find_text_format(o.format))
    return fail(
        fmt::format("unknown format '{}'; use one of: {} (or leave --format out to detect "
                    "it)",
                    o.format, format_list()));
  const std::string shown = o.path == "-" ? "standard input" : o.path;
  const std::string where = o.path == "-" ? "<stdin>" : o.path;
  auto fd = open_input(o.path, shown);
  if (!fd) return fail(fd.error());
  LineReader reader(*fd, shown);
  auto started = reader.start();
  // `ss -D` dumps are binary: tell them from other binary input before refusing it.
  if (o.format == kSsDiagFormat || (o.format.empty() && looks_like_inet_diag(reader.first_block())))
    return import_ss_diag(shown, &reader, facts, sink);
  if (!started) return fail(started.error());
  if (reader.empty())
    return fail(
        fmt::format("{} is empty: nothing to count (capture a dump with e.g. `ss -tan > "
                    "FILE` and read that)",
                    shown));

  std::string_view first = reader.first_block();
  if (first.starts_with("\xEF\xBB\xBF")) first.remove_prefix(3);
  size_t b = first.find_first_not_of(" \t\r\n");
  bool json = !reader.utf16() && b != std::string_view::npos && first[b] == '{';
  // PowerShell's ConvertTo-Json is JSON too, but of Get-NetTCPConnection objects.
  bool json_array = !reader.utf16() && b != std::string_view::npos && first[b] == '[';
  if (o.format.empty() && (json || json_array) &&
      first.find("\"LocalAddress\"") != std::string_view::npos)
    return fail(fmt::format("cannot read {}: {}", shown, powershell_json_refusal("")));
  if (o.format == kSnapshotFormat || (o.format.empty() && json))
    return import_snapshot(o, shown, &reader, facts, sink);

  // Buffer the first lines for detection, then replay them through the chosen parser.
  struct HeadLine {
    std::string text;
    bool cut;
  };
  std::vector<HeadLine> head;
  std::vector<std::string> sample;
  std::string line;
  bool cut = false;
  while (sample.size() < kHeadLines && head.size() < kHeadMaxLines && reader.next(&line, &cut)) {
    if (!is_blank(line)) sample.push_back(line);
    head.push_back({line, cut});
  }
  if (!reader.error().empty()) return fail(reader.error());
  if (sample.empty())
    return fail(fmt::format("{} is empty: it has only blank lines, nothing to count", shown));

  ImportReport report;
  Detection detected;
  if (o.format.empty()) detected = detect_format(sample);
  report.format = o.format.empty() ? detected.format : o.format;
  if (report.format.empty()) {
    if (auto what = recognise_unsupported(sample); !what.empty())
      return fail(fmt::format("cannot read {}: {}", shown, what));
  }
  if (report.format.empty() && !detected.closest.empty())
    return fail(fmt::format(
        "cannot tell the format of {}: its first lines fit no known dump; closest is {}, which "
        "refuses line {}: {} (\"{}\"). Known formats: {}; force one with --format NAME (see "
        "docs/import.md)",
        shown, detected.closest, detected.closest_line, detected.closest_reason,
        shorten(sample[detected.closest_line - 1], 60), format_list()));
  if (report.format.empty())
    return fail(fmt::format(
        "cannot tell the format of {}: its first lines fit no known dump (first line: \"{}\"). "
        "Known formats: {}; force one with --format NAME (see docs/import.md)",
        shown, shorten(sample[0]), format_list()));
  const TextFormat* format = find_text_format(report.format);
  facts->os = std::string(format->os);
  facts->source = "import:" + report.format;

  auto parser = make_parser(report.format, o.implied_state);
  const bool owners = parser->has_owner_lines();
  int64_t headers = 0, tcp_looking = 0;
  std::string strict_error, first_tcp_looking;
  // With owner lines (netstat -b) a socket waits for the lines below it; its text is copied, as
  // the line buffer moves on.
  std::optional<Socket> pending;
  std::string pending_line, pending_owner;
  auto flush = [&] {
    if (!pending) return;
    if (!pending_owner.empty()) {
      pending->command = pending_owner;
      ++report.owners;
    }
    sink(*pending);
    pending.reset();
    pending_owner.clear();
  };
  // A line this format refuses that another format reads as a socket: the file holds two dumps,
  // and counting one of them would be a wrong census. Other parsers are made at the first such
  // line only.
  std::vector<std::pair<std::string_view, std::unique_ptr<LineParser>>> others;
  int64_t other_sockets = 0;
  std::string first_other;
  auto read_by_other = [&](const std::string& text) {
    if (others.empty())
      for (auto& f : text_formats())
        if (f.name != report.format) others.emplace_back(f.name, make_parser(f.name, {}));
    for (auto& [name, p] : others) {
      Socket s;
      if (p->parse(text, &s).kind != LineKind::kSocket) continue;
      if (!other_sockets++)
        first_other =
            fmt::format("{}:{} is a {} line: {}", where, report.lines, name, shorten(text, 60));
      return;
    }
  };
  auto take = [&](const std::string& text, bool was_cut) {
    ++report.lines;
    if (is_blank(text)) return true;
    Socket s;
    LineResult r = was_cut ? bad_line("line longer than 1 MiB") : parser->parse(text, &s);
    if (r.kind == LineKind::kOwner) {
      // A component chain is a few names; a flood of such lines must not grow memory.
      if (pending && !r.detail.empty() && pending_owner.size() < kMaxOwner)
        pending_owner += (pending_owner.empty() ? "" : " ") + r.detail;
      return true;
    }
    if (owners) flush();
    if (r.kind != LineKind::kSocket && looks_tcp(text)) {
      if (!tcp_looking++)
        first_tcp_looking = fmt::format("{}:{}: {}", where, report.lines, shorten(text, 60));
      if (r.kind == LineKind::kBad && !was_cut) read_by_other(text);
    }
    switch (r.kind) {
      case LineKind::kSocket:
        ++report.sockets;
        report.named_endpoints += s.local.is_named() + s.remote.is_named() - r.cut;
        if (*r.reason) ++report.warnings[r.reason];
        if (!s.original_state.empty()) {
          auto it = report.original_states.find(s.original_state);
          if (it != report.original_states.end()) {
            ++it->second;
          } else if (report.original_states.size() < kSpellings) {
            report.original_states.emplace(std::string(s.original_state), 1);
          }
        }
        if (owners) {
          pending_line = text;
          if (!s.original_state.empty())
            s.original_state =
                std::string_view(pending_line)
                    .substr(s.original_state.data() - text.data(), s.original_state.size());
          pending = s;
        } else {
          sink(s);
        }
        return true;
      case LineKind::kOwner:
      case LineKind::kHeader:
        ++headers;
        return true;
      case LineKind::kIgnored:
        ++report.ignored;
        ++report.ignore_reasons[r.reason];
        return true;
      case LineKind::kBad:
        break;
    }
    std::string example = fmt::format("{}:{}: {}", where, report.lines, r.reason);
    if (r.refuses_dump) {
      strict_error =
          r.detail.empty()
              ? fmt::format("cannot count {}: {}:{}: {}", shown, where, report.lines, r.reason)
              : fmt::format("cannot count {}: {}:{}: \"{}\": {}", shown, where, report.lines,
                            shorten(r.detail, 60), r.reason);
      return false;
    }
    if (!r.detail.empty()) example += fmt::format(" ({})", shorten(r.detail, 60));
    if (o.strict) {
      strict_error = fmt::format("{} [--strict stops at the first line that fits no {} format]",
                                 example, report.format);
      return false;
    }
    ++report.skipped;
    ++report.skip_reasons[r.reason];
    if (report.skipped_examples.size() < kExamples) report.skipped_examples.push_back(example);
    return true;
  };
  for (auto& h : head)
    if (!take(h.text, h.cut)) return fail(strict_error);
  head.clear();
  head.shrink_to_fit();
  while (reader.next(&line, &cut))
    if (!take(line, cut)) return fail(strict_error);
  if (!reader.error().empty()) return fail(reader.error());
  flush();

  if (other_sockets > 0 && report.sockets > 0)
    return fail(fmt::format(
        "{} mixes two dumps: {} lines are {} sockets, and {} more are sockets of another format "
        "(first: {}); import each dump from a file of its own",
        shown, report.sockets, report.format, other_sockets, first_other));

  // Lines that look like TCP sockets and not one read: the dump is of another format (or
  // variant), and an empty census would be a wrong answer.
  if (report.sockets == 0 && tcp_looking > 0) {
    std::string first =
        report.skipped_examples.empty() ? first_tcp_looking : report.skipped_examples[0];
    return fail(fmt::format(
        "nothing usable in {}: {} of its {} lines look like TCP sockets, but none is a {} "
        "socket line; first: {}. If it is not a {} dump, force the right format with --format "
        "({})",
        shown, tcp_looking, report.lines, report.format, first, report.format, format_list()));
  }

  // A dump of headers only is an empty census; skipped lines and no socket is a wrong dump.
  if (report.sockets == 0 && (headers == 0 || report.skipped > 0)) {
    std::string first = report.skipped_examples.empty() ? "" : report.skipped_examples[0];
    return fail(
        fmt::format("nothing usable in {}: none of its {} lines is a {} socket line{}{}. "
                    "If it is not a {} dump, force the right format with --format ({})",
                    shown, report.lines, report.format, first.empty() ? "" : "; first: ", first,
                    report.format, format_list()));
  }
  return report;
}

std::string describe_import(const ImportReport& r) {
  auto by_reason = [](const std::map<std::string, int64_t>& m) {
    std::string out;
    for (auto& [why, n] : m) out += fmt::format("{}{}x {}", out.empty() ? "" : "; ", n, why);
    return out;
  };
  std::vector<std::string> parts;
  if (r.skipped)
    parts.push_back(
        fmt::format("skipped {} of {} lines that fit no {} format [{}]{}", r.skipped, r.lines,
                    r.format, by_reason(r.skip_reasons),
                    r.skipped_examples.empty() ? "" : "; first: " + r.skipped_examples.front()));
  if (r.named_endpoints)
    parts.push_back(fmt::format(
        "{} of {} endpoints were host or service names, kept as printed (capture with -n for "
        "port pressure)",
        r.named_endpoints, 2 * r.sockets));
  if (!r.warnings.empty())
    parts.push_back(fmt::format("sockets to check [{}]", by_reason(r.warnings)));
  if (r.ignored)
    parts.push_back(fmt::format("ignored {} lines without a TCP socket [{}]", r.ignored,
                                by_reason(r.ignore_reasons)));
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace tw
