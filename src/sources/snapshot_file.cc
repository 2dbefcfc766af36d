// SPDX-License-Identifier: Apache-2.0
#include "sources/snapshot_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "model/host_facts_json.h"
#include "model/safe_text.h"

namespace tw {

using nlohmann::json;

namespace {
constexpr const char* kFormat = "timewait-snapshot";
constexpr int kVersion = 1;
// A snapshot nests four levels (root, facts, sysctls or sockets, a socket); deeper is a hostile
// or broken file, stopped before the parser builds it.
constexpr int kMaxDepth = 8;
// One socket is ~150 bytes and the facts a few KiB: a member past these is not a snapshot's,
// and would only make the reader hold it all before saying so.
constexpr int64_t kMaxSocketBytes = 64 << 10;
constexpr int64_t kMaxMemberBytes = 16 << 20;
}  // namespace

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::open(const std::string& path,
                                                             const HostFacts& facts) {
  // 0600: a snapshot names every peer address, pid and process of the host.
  auto out = OutputFile::open(path, /*create_dirs=*/false, 0600);
  if (!out) return fail(fmt::format("cannot write snapshot {}: {}", path, out.error()));
  std::unique_ptr<SnapshotWriter> w(new SnapshotWriter);
  w->out_ = std::move(*out);
  w->facts_ = facts;
  return w;
}

namespace {
// A process may name itself with any bytes (prctl PR_SET_NAME): what is not UTF-8 is written as
// U+FFFD rather than making the JSON library throw in the middle of a dump.
std::string json_text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
// fwrite, not fmt::print (which throws): a failed write sets the stream's error flag, and
// OutputFile::commit() reports it.
void put(FILE* f, const std::string& text) { (void)!fwrite(text.data(), 1, text.size(), f); }
}  // namespace

void SnapshotWriter::header() {
  put(out_->stream(),
      fmt::format("{{\"format\":\"{}\",\"version\":{},\n\"facts\":{},\n\"sockets\":[", kFormat,
                  kVersion, json_text(facts_to_json(facts_))));
  header_written_ = true;
}

void SnapshotWriter::add(const Socket& s) {
  if (!header_written_) header();
  // One socket a line, compact: a million sockets make a ~120 MB file that diff and grep can read.
  std::string line =
      fmt::format("{}\n{{\"state\":\"{}\",\"local\":\"{}\",\"remote\":\"{}\"", count_ ? "," : "",
                  ss_name(s.state), s.local.to_string(), s.remote.to_string());
  auto out = std::back_inserter(line);
  if (s.timer_ms >= 0) fmt::format_to(out, ",\"timer_ms\":{}", s.timer_ms);
  if (s.mini) line += ",\"mini\":true";
  if (s.uid) fmt::format_to(out, ",\"uid\":{}", s.uid);
  if (s.inode) fmt::format_to(out, ",\"inode\":{}", s.inode);
  if (s.pid >= 0) fmt::format_to(out, ",\"pid\":{}", s.pid);
  if (!s.command.empty()) fmt::format_to(out, ",\"command\":{}", json_text(std::string(s.command)));
  if (!s.original_state.empty())
    fmt::format_to(out, ",\"original_state\":{}", json_text(std::string(s.original_state)));
  line += "}";
  put(out_->stream(), line);
  ++count_;
}

Status SnapshotWriter::finish() {
  if (!header_written_) header();
  put(out_->stream(), fmt::format("\n],\n\"socket_count\":{}}}\n", count_));
  return out_->commit();
}

bool looks_like_snapshot(std::string_view head) {
  size_t b = head.find_first_not_of(" \t\r\n");
  return b != std::string_view::npos && head[b] == '{' &&
         head.find(std::string("\"") + kFormat + "\"") != std::string_view::npos;
}

namespace {

// Thrown from the parser callback to stop at the first error (the message is already kept).
struct StopParsing {};

// Reads one socket object, checking each member's type: the message names the member, the
// caller adds the file and the socket's number.
class SocketReader {
 public:
  Result<Socket> read(const json& j) {
    if (!j.is_object()) return fail("must be an object");
    Socket s;
    std::string state, local, remote;
    if (auto st = text(j, "state", true, &state); !st) return fail(st.error());
    auto parsed = parse_state(state);
    if (!parsed) return fail(fmt::format("unknown state \"{}\"", clipped(state, 40)));
    s.state = *parsed;
    if (auto st = text(j, "local", true, &local); !st) return fail(st.error());
    if (auto st = text(j, "remote", true, &remote); !st) return fail(st.error());
    if (auto st = endpoint("local", local, &s.local); !st) return fail(st.error());
    if (auto st = endpoint("remote", remote, &s.remote); !st) return fail(st.error());
    int64_t v = 0;
    if (auto st = integer(j, "timer_ms", 0, INT64_MAX, &v); !st) return fail(st.error());
    s.timer_ms = j.contains("timer_ms") ? v : -1;
    if (auto it = j.find("mini"); it != j.end()) {
      if (!it->is_boolean()) return fail("\"mini\" must be true or false");
      s.mini = it->get<bool>();
    }
    if (auto st = integer(j, "uid", 0, UINT32_MAX, &v); !st) return fail(st.error());
    s.uid = j.contains("uid") ? static_cast<uint32_t>(v) : 0;
    if (auto st = integer(j, "inode", 0, INT64_MAX, &v); !st) return fail(st.error());
    s.inode = j.contains("inode") ? static_cast<uint64_t>(v) : 0;
    if (auto st = integer(j, "pid", 0, INT32_MAX, &v); !st) return fail(st.error());
    s.pid = j.contains("pid") ? static_cast<int32_t>(v) : -1;
    command_.clear();
    original_.clear();
    if (auto st = text(j, "command", false, &command_); !st) return fail(st.error());
    if (auto st = text(j, "original_state", false, &original_); !st) return fail(st.error());
    s.command = command_;
    s.original_state = original_;
    return s;
  }

 private:
  static Status text(const json& j, const char* key, bool required, std::string* out) {
    auto it = j.find(key);
    if (it == j.end()) return required ? fail(fmt::format("\"{}\" is missing", key)) : Status{};
    if (!it->is_string()) return fail(fmt::format("\"{}\" must be a string", key));
    *out = it->get<std::string>();
    return {};
  }
  static Status integer(const json& j, const char* key, int64_t lo, int64_t hi, int64_t* out) {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number_integer()) return fail(fmt::format("\"{}\" must be an integer", key));
    bool too_big = it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX);
    int64_t v = too_big ? INT64_MAX : it->get<int64_t>();
    if (too_big || v < lo || v > hi)
      return fail(fmt::format("\"{}\" is out of range ({} to {})", key, lo, hi));
    *out = v;
    return {};
  }
  // Endpoint::parse also takes the host and service names of a dump captured without -n, which
  // a re-saved dump keeps; what looks like a number must be one ("999.1.1.1", port "-5").
  static Status endpoint(const char* key, const std::string& text, Endpoint* ep) {
    const std::string shown = clipped(text, 80);
    auto e = Endpoint::parse(text);
    if (!e)
      return fail(fmt::format("\"{}\" is not ADDRESS:PORT (IPv6 in brackets): \"{}\"", key, shown));
    const size_t colon = text.rfind(':');
    std::string_view host(text.data(), colon), port(text.data() + colon + 1);
    if (port.find_first_not_of("0123456789") != std::string_view::npos && !plausible_service(port))
      return fail(fmt::format("\"{}\": port \"{}\" is not a number from 0 to 65535 in \"{}\"", key,
                              clipped(port, 40), shown));
    if (e->addr.is_name() && !plausible_host(host))
      return fail(
          fmt::format("\"{}\": \"{}\" is not an IPv4 or IPv6 address (or a host name) "
                      "in \"{}\"",
                      key, clipped(host, 60), shown));
    *ep = *e;
    return {};
  }
  // A service name as /etc/services spells them (RFC 6335: letters, digits, hyphens, with a
  // letter), a few more characters allowed for what other systems print.
  static bool plausible_service(std::string_view p) {
    if (p.empty() || p.size() > 32 || !std::isalpha(static_cast<unsigned char>(p.front())))
      return false;
    return p.find_first_not_of(
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+/"
               "*") == std::string_view::npos;
  }
  // A host name (RFC 1123: letters, digits, hyphens, dots, not all-numeric), or an address a
  // dump cut to its column with "…" after it.
  static bool plausible_host(std::string_view h) {
    if (h.ends_with("\xE2\x80\xA6")) {
      h.remove_suffix(3);
      return h.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos ||
             plausible_host(h);
    }
    if (h.empty() || h.size() > 253) return false;
    if (h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
        std::string_view::npos)
      return false;
    // All digits and dots is an IPv4 address that failed to parse (999.1.1.1), not a name.
    return h.find_first_not_of("0123456789.") != std::string_view::npos;
  }
  // Storage the streamed Socket's string_views point into.
  std::string command_, original_;
};

// The file under the parser, counting what it has handed over: a member that runs past its limit
// is stopped while it is read, before the parser holds all of it (a 1 GB "command").
class BoundedInput : public std::streambuf {
 public:
  explicit BoundedInput(std::streambuf* file) : file_(file) {}
  int64_t position() const { return read_ - (egptr() - gptr()); }
  // From here on at most `limit` bytes until the next mark().
  void mark(int64_t limit) {
    mark_ = position();
    limit_ = limit;
  }

 protected:
  int_type underflow() override {
    if (position() - mark_ > limit_) throw TooLarge{limit_};
    const auto n = file_->sgetn(buf_, sizeof buf_);
    if (n <= 0) return traits_type::eof();
    read_ += n;
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(buf_[0]);
  }

 public:
  struct TooLarge {
    int64_t limit;
  };

 private:
  std::streambuf* file_;
  char buf_[16 << 10];
  int64_t read_ = 0, mark_ = 0, limit_ = kMaxMemberBytes;
};

// The JSON library's message without its "[json.exception.parse_error.101] " prefix.
std::string plain(const json::exception& e) {
  std::string_view m = e.what();
  if (m.starts_with("[json.exception.")) m.remove_prefix(std::min(m.find("] ") + 2, m.size()));
  return std::string(m);
}

}  // namespace

Status read_snapshot(const std::string& path, HostFacts* facts, const SocketSink& sink) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return fail(fmt::format("cannot open snapshot {}: {}", path, std::strerror(errno)));
  BoundedInput bounded(file.rdbuf());
  std::istream in(&bounded);
  std::string error;
  int64_t index = 0;
  std::optional<int64_t> declared_count;
  bool saw_format = false, saw_version = false, saw_facts = false, saw_sockets = false;
  SocketReader reader;
  std::string key;  // the top-level member being parsed
  auto stop = [&](std::string message) {
    error = fmt::format("{}: {}", path, message);
    throw StopParsing{};
  };
  // The parser callback hands over each socket object as soon as it is parsed and discards it,
  // so a snapshot of a million sockets is read in constant memory.
  const json not_an_object = json::array();
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    // A socket's place, for the messages about its members.
    const auto where = [&] {
      return key == "sockets" && depth >= 2 ? fmt::format("socket #{}", index + 1)
                                            : fmt::format("\"{}\"", clipped(key, 40));
    };
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxDepth)
      stop(
          fmt::format("{}: nested deeper than {} levels at byte {} (a snapshot nests 4); not "
                      "a snapshot timewait wrote",
                      where(), kMaxDepth, bounded.position()));
    if (event == E::key && depth == 1) {
      key = parsed.get<std::string>();
      bounded.mark(kMaxMemberBytes);
      return true;
    }
    if (key == "sockets" && depth == 2 && (event == E::object_start || event == E::array_start))
      bounded.mark(kMaxSocketBytes);
    if (depth == 1 && key == "sockets" && event != E::array_end) {
      if (event != E::array_start) stop("\"sockets\" must be an array of socket objects");
      if (!saw_facts) stop("\"facts\" must come before \"sockets\"");
      saw_sockets = true;
      return true;
    }
    if (depth == 2 && key == "sockets" &&
        (event == E::object_end || event == E::value || event == E::array_start)) {
      ++index;
      // (Both sides lvalues: the socket is read where it is, never copied.)
      auto s = reader.read(event == E::array_start ? not_an_object : parsed);
      if (!s) stop(fmt::format("socket #{}: {}", index, s.error()));
      sink(*s);
      bounded.mark(kMaxSocketBytes);  // the separator before the next one
      return false;
    }
    if (event == E::value && depth == 1 && key == "format") {
      if (!parsed.is_string() || parsed.get<std::string>() != kFormat)
        stop(fmt::format("\"format\" is {}, not \"{}\": not a timewait snapshot",
                         clipped(parsed.dump(-1, ' ', false, json::error_handler_t::replace), 60),
                         kFormat));
      saw_format = true;
    }
    if (event == E::value && depth == 1 && key == "version") {
      if (!parsed.is_number_integer() || parsed.get<int64_t>() != kVersion)
        stop(fmt::format(
            "snapshot version {} is not one this timewait reads (version {}); read it with the "
            "timewait that wrote it, or save it again",
            clipped(parsed.dump(-1, ' ', false, json::error_handler_t::replace), 60), kVersion));
      saw_version = true;
    }
    if (event == E::value && depth == 1 && key == "socket_count") {
      if (!parsed.is_number_unsigned()) stop("\"socket_count\" must be a non-negative integer");
      declared_count = parsed.get<int64_t>();
    }
    if (depth == 1 && key == "facts" && (event == E::value || event == E::array_end))
      stop("\"facts\" must be an object");
    if (event == E::object_end && depth == 1 && key == "facts") {
      auto f = facts_from_json(parsed);
      if (!f) stop(f.error());
      *facts = *f;
      saw_facts = true;
      return false;
    }
    return true;
  };
  try {
    [[maybe_unused]] json root = json::parse(in, cb, /*allow_exceptions=*/true);  // all discarded
  } catch (const StopParsing&) {
  } catch (const BoundedInput::TooLarge& e) {
    error = fmt::format("{}: {} is larger than {} KiB (at byte {}); not a snapshot timewait wrote",
                        path,
                        key == "sockets" ? fmt::format("socket #{}", index + 1)
                                         : fmt::format("\"{}\"", clipped(key, 40)),
                        e.limit >> 10, bounded.position());
  } catch (const json::exception& e) {
    error = fmt::format("{} is not valid snapshot JSON: {}", path, plain(e));
  }
  if (!error.empty()) return fail(error);
  if (!saw_format)
    return fail(fmt::format("{} is JSON but not a timewait snapshot (no \"format\": \"{}\")", path,
                            kFormat));
  if (!saw_version) return fail(fmt::format("{}: snapshot has no \"version\"", path));
  if (!saw_facts) return fail(fmt::format("{}: snapshot has no \"facts\" object", path));
  if (!saw_sockets) return fail(fmt::format("{}: snapshot has no \"sockets\" array", path));
  if (declared_count && *declared_count != index)
    return fail(
        fmt::format("{}: \"socket_count\" says {} sockets but {} were read (a cut or "
                    "edited file?)",
                    path, *declared_count, index));
  return {};
}

}  // namespace tw
