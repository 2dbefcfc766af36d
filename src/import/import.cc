// SPDX-License-Identifier: Apache-2.0
#include "import/import.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
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

namespace {

// The first lines of a text dump: buffered for detection, then replayed through the parser.
struct HeadLine {
  std::string text;
  bool cut;
};
struct Head {
  std::vector<HeadLine> lines;
  std::vector<std::string> sample;  // the non-blank ones, which detection reads
};

Result<Head> read_head(LineReader* reader, const std::string& shown) {
  Head head;
  std::string line;
  bool cut = false;
  while (head.sample.size() < kHeadLines && head.lines.size() < kHeadMaxLines &&
         reader->next(&line, &cut)) {
    if (!is_blank(line)) head.sample.push_back(line);
    head.lines.push_back({line, cut});
  }
  if (!reader->error().empty()) return fail(reader->error());
  if (head.sample.empty())
    return fail(fmt::format("{} is empty: it has only blank lines, nothing to count", shown));
  return head;
}

// --format, else the format detected from the sample. Input no format fits is refused naming
// the tool's output we do not read, or the closest format and the line it refuses.
Result<std::string> choose_format(const std::string& forced, const std::vector<std::string>& sample,
                                  const std::string& shown) {
  if (!forced.empty()) return forced;
  Detection detected = detect_format(sample);
  if (!detected.format.empty()) return detected.format;
  if (auto what = recognise_unsupported(sample); !what.empty())
    return fail(fmt::format("cannot read {}: {}", shown, what));
  if (!detected.closest.empty())
    return fail(fmt::format(
        "cannot tell the format of {}: its first lines fit no known dump; closest is {}, which "
        "refuses line {}: {} (\"{}\"). Known formats: {}; force one with --format NAME (see "
        "docs/import.md)",
        shown, detected.closest, detected.closest_line, detected.closest_reason,
        shorten(sample[detected.closest_line - 1], 60), format_list()));
  return fail(fmt::format(
      "cannot tell the format of {}: its first lines fit no known dump (first line: \"{}\"). "
      "Known formats: {}; force one with --format NAME (see docs/import.md)",
      shown, shorten(sample[0]), format_list()));
}

// One text dump's lines through its format's parser into the sink, counted in the report. Owner
// lines (netstat -b) join the socket above them; a line another format reads as a socket means
// two dumps in one file; a dump none of whose lines is a socket of this format is refused.
class TextImport {
 public:
  TextImport(const ImportOptions& o, const std::string& shown, const std::string& where,
             const std::string& format, const SocketSink& sink)
      : strict_(o.strict),
        shown_(shown),
        where_(where),
        sink_(sink),
        parser_(make_parser(format, o.implied_state)),
        owners_(parser_->has_owner_lines()) {
    report_.format = format;
  }

  // One line (`was_cut`: longer than the reader keeps). False stops the import: error() says why.
  bool take(const std::string& text, bool was_cut) {
    ++report_.lines;
    if (is_blank(text)) return true;
    Socket s;
    LineResult r = was_cut ? bad_line("line longer than 1 MiB") : parser_->parse(text, &s);
    if (r.kind == LineKind::kOwner) {
      // A component chain is a few names; a flood of such lines must not grow memory.
      if (pending_ && !r.detail.empty() && pending_owner_.size() < kMaxOwner)
        pending_owner_ += (pending_owner_.empty() ? "" : " ") + r.detail;
      return true;
    }
    if (owners_) flush();
    if (r.kind != LineKind::kSocket && looks_tcp(text)) {
      if (!tcp_looking_++)
        first_tcp_looking_ = fmt::format("{}:{}: {}", where_, report_.lines, shorten(text, 60));
      if (r.kind == LineKind::kBad && !was_cut) read_by_other(text);
    }
    switch (r.kind) {
      case LineKind::kSocket:
        add_socket(s, r, text);
        return true;
      case LineKind::kOwner:
      case LineKind::kHeader:
        ++headers_;
        return true;
      case LineKind::kIgnored:
        ++report_.ignored;
        ++report_.ignore_reasons[r.reason];
        return true;
      case LineKind::kBad:
        break;
    }
    return skip(r);
  }
  const std::string& error() const { return error_; }

  // After the last line: the report, or why the dump is not one of this format.
  Result<ImportReport> finish() {
    flush();
    if (other_sockets_ > 0 && report_.sockets > 0)
      return fail(fmt::format(
          "{} mixes two dumps: {} lines are {} sockets, and {} more are sockets of another "
          "format (first: {}); import each dump from a file of its own",
          shown_, report_.sockets, report_.format, other_sockets_, first_other_));

    // Lines that look like TCP sockets and not one read: the dump is of another format (or
    // variant), and an empty census would be a wrong answer.
    if (report_.sockets == 0 && tcp_looking_ > 0) {
      std::string first =
          report_.skipped_examples.empty() ? first_tcp_looking_ : report_.skipped_examples[0];
      return fail(fmt::format(
          "nothing usable in {}: {} of its {} lines look like TCP sockets, but none is a {} "
          "socket line; first: {}. If it is not a {} dump, force the right format with --format "
          "({})",
          shown_, tcp_looking_, report_.lines, report_.format, first, report_.format,
          format_list()));
    }

    // A dump of headers only is an empty census; skipped lines and no socket is a wrong dump.
    if (report_.sockets == 0 && (headers_ == 0 || report_.skipped > 0)) {
      std::string first = report_.skipped_examples.empty() ? "" : report_.skipped_examples[0];
      return fail(
          fmt::format("nothing usable in {}: none of its {} lines is a {} socket line{}{}. "
                      "If it is not a {} dump, force the right format with --format ({})",
                      shown_, report_.lines, report_.format,
                      first.empty() ? "" : "; first: ", first, report_.format, format_list()));
    }
    return std::move(report_);
  }

 private:
  void add_socket(Socket& s, const LineResult& r, const std::string& text) {
    ++report_.sockets;
    report_.named_endpoints += s.local.is_named() + s.remote.is_named() - r.cut;
    if (*r.reason) ++report_.warnings[r.reason];
    if (!s.original_state.empty()) {
      auto it = report_.original_states.find(s.original_state);
      if (it != report_.original_states.end()) {
        ++it->second;
      } else if (report_.original_states.size() < kSpellings) {
        report_.original_states.emplace(std::string(s.original_state), 1);
      }
    }
    if (!owners_) {
      sink_(s);
      return;
    }
    // The socket waits for its owner lines below it; its text is copied, as the line buffer
    // moves on.
    pending_line_ = text;
    if (!s.original_state.empty())
      s.original_state =
          std::string_view(pending_line_)
              .substr(s.original_state.data() - text.data(), s.original_state.size());
    pending_ = s;
  }

  // The socket waiting for its owner lines, to the sink.
  void flush() {
    if (!pending_) return;
    if (!pending_owner_.empty()) {
      pending_->command = pending_owner_;
      ++report_.owners;
    }
    sink_(*pending_);
    pending_.reset();
    pending_owner_.clear();
  }

  // A line this format refuses that another format reads as a socket: the file holds two dumps,
  // and counting one of them would be a wrong census. Other parsers are made at the first such
  // line only.
  void read_by_other(const std::string& text) {
    if (others_.empty())
      for (auto& f : text_formats())
        if (f.name != report_.format) others_.emplace_back(f.name, make_parser(f.name, {}));
    for (auto& [name, p] : others_) {
      Socket s;
      if (p->parse(text, &s).kind != LineKind::kSocket) continue;
      if (!other_sockets_++)
        first_other_ =
            fmt::format("{}:{} is a {} line: {}", where_, report_.lines, name, shorten(text, 60));
      return;
    }
  }

  // A line that fits no socket of this format: counted and skipped, or (a line that refuses the
  // whole dump, or --strict) the end of the import.
  bool skip(const LineResult& r) {
    std::string example = fmt::format("{}:{}: {}", where_, report_.lines, r.reason);
    if (r.refuses_dump) {
      error_ = r.detail.empty() ? fmt::format("cannot count {}: {}:{}: {}", shown_, where_,
                                              report_.lines, r.reason)
                                : fmt::format("cannot count {}: {}:{}: \"{}\": {}", shown_, where_,
                                              report_.lines, shorten(r.detail, 60), r.reason);
      return false;
    }
    if (!r.detail.empty()) example += fmt::format(" ({})", shorten(r.detail, 60));
    if (strict_) {
      error_ = fmt::format("{} [--strict stops at the first line that fits no {} format]", example,
                           report_.format);
      return false;
    }
    ++report_.skipped;
    ++report_.skip_reasons[r.reason];
    if (report_.skipped_examples.size() < kExamples) report_.skipped_examples.push_back(example);
    return true;
  }

  const bool strict_;
  const std::string& shown_;
  const std::string& where_;
  const SocketSink& sink_;
  std::unique_ptr<LineParser> parser_;
  const bool owners_;
  ImportReport report_;
  int64_t headers_ = 0, tcp_looking_ = 0;
  std::string error_, first_tcp_looking_;
  std::optional<Socket> pending_;
  std::string pending_line_, pending_owner_;
  std::vector<std::pair<std::string_view, std::unique_ptr<LineParser>>> others_;
  int64_t other_sockets_ = 0;
  std::string first_other_;
};

}  // namespace

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

  auto head = read_head(&reader, shown);
  if (!head) return fail(head.error());
  auto format = choose_format(o.format, head->sample, shown);
  if (!format) return fail(format.error());
  facts->os = std::string(find_text_format(*format)->os);
  facts->source = "import:" + *format;

  TextImport text(o, shown, where, *format, sink);
  for (auto& h : head->lines)
    if (!text.take(h.text, h.cut)) return fail(text.error());
  *head = {};  // the lines are replayed: keep no more than the reader's buffer
  std::string line;
  bool cut = false;
  while (reader.next(&line, &cut))
    if (!text.take(line, cut)) return fail(text.error());
  if (!reader.error().empty()) return fail(reader.error());
  return text.finish();
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
