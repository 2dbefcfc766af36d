// SPDX-License-Identifier: Apache-2.0
#include "import/powershell.h"

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

namespace {

PsColumn column_named(std::string_view name, std::string_view* wrapped_rest = nullptr) {
  static constexpr std::pair<std::string_view, PsColumn> kNames[] = {
      {"LocalAddress", PsColumn::kLocalAddress},
      {"LocalPort", PsColumn::kLocalPort},
      {"RemoteAddress", PsColumn::kRemoteAddress},
      {"RemotePort", PsColumn::kRemotePort},
      {"State", PsColumn::kState},
      {"AppliedSetting", PsColumn::kAppliedSetting},
      {"OwningProcess", PsColumn::kOwningProcess},
  };
  for (auto& [n, c] : kNames)
    if (name == n) return c;
  // Format-Table wraps the last header that does not fit the console ("OwningPr" over "ocess"):
  // the rest of the name comes alone on the next line.
  if (wrapped_rest && name.size() >= 3)
    for (auto& [n, c] : kNames)
      if (n.starts_with(name)) {
        *wrapped_rest = n.substr(name.size());
        return c;
      }
  return PsColumn::kOther;
}

bool has_required(const std::vector<PsColumn>& cols) {
  int seen = 0;
  for (PsColumn c : cols)
    if (c <= PsColumn::kState) seen |= 1 << static_cast<int>(c);
  return seen == 0x1f;
}

// Fills the socket from cells in column order.
LineResult fill(const std::vector<PsColumn>& cols, const std::string_view* cells, Socket* s) {
  *s = Socket{};
  bool have_state = false;
  uint8_t cut = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    std::string_view v = cells[i];
    size_t mark = v.ends_with("...") ? 3 : v.ends_with(kCutMark) ? kCutMark.size() : 0;
    bool address = cols[i] == PsColumn::kLocalAddress || cols[i] == PsColumn::kRemoteAddress;
    // Format-Table cuts a long IPv6 address to its column ("2a01:cb19:18c:c700:ec96:8a3e:723...",
    // PowerShell 7 with "…"): the socket still counts in its state, kept as printed, out of port
    // pressure. A cut state, port or PID leaves nothing to count.
    if (mark && address) {
      Endpoint* ep = cols[i] == PsColumn::kLocalAddress ? &s->local : &s->remote;
      if (!keep_cut(v.substr(0, v.size() - mark), {}, ep))
        return bad_line(endpoint_reason(EndpointError::kTooManyNames), std::string(v));
      ++cut;
      continue;
    }
    if (mark)
      return bad_line(
          "a column was cut short by Format-Table (use `Format-Table -AutoSize` or "
          "`ConvertTo-Csv`)",
          std::string(v));
    switch (cols[i]) {
      case PsColumn::kLocalAddress:
      case PsColumn::kRemoteAddress: {
        auto a = Address::parse(v);
        if (!a) return bad_line("bad IP address", std::string(v));
        (cols[i] == PsColumn::kLocalAddress ? s->local : s->remote).addr = *a;
        break;
      }
      case PsColumn::kLocalPort:
      case PsColumn::kRemotePort: {
        uint64_t p;
        if (!parse_u64(v, &p) || p > 65535) return bad_line("bad port number", std::string(v));
        (cols[i] == PsColumn::kLocalPort ? s->local : s->remote).port = static_cast<uint16_t>(p);
        break;
      }
      case PsColumn::kState: {
        uint64_t num;
        auto st = parse_u64(v, &num) ? windows_state_number(num) : import_state(v);
        if (!st)
          return bad_line("unknown state name (only English names are known)", std::string(v));
        s->state = *st;
        s->original_state = v;
        have_state = true;
        break;
      }
      case PsColumn::kOwningProcess: {
        uint32_t pid;
        if (!v.empty()) {
          if (!parse_u32(v, &pid) || pid > INT32_MAX)
            return bad_line("OwningProcess is not a number", std::string(v));
          s->pid = static_cast<int32_t>(pid);
        }
        break;
      }
      case PsColumn::kAppliedSetting:
      case PsColumn::kOther:
        break;
    }
  }
  if (!have_state) return bad_line("no State value");
  if (cut) return {LineKind::kSocket, kPowerShellCut, {}, cut};
  return socket_line();
}

}  // namespace

std::optional<TcpState> windows_state_number(uint64_t n) {
  switch (n) {
    case 1:
      return TcpState::kClose;
    case 2:
      return TcpState::kListen;
    case 3:
      return TcpState::kSynSent;
    case 4:
      return TcpState::kSynRecv;
    case 5:
      return TcpState::kEstablished;
    case 6:
      return TcpState::kFinWait1;
    case 7:
      return TcpState::kFinWait2;
    case 8:
      return TcpState::kCloseWait;
    case 9:
      return TcpState::kClosing;
    case 10:
      return TcpState::kLastAck;
    case 11:
      return TcpState::kTimeWait;
    case 12:
      return TcpState::kClose;  // DeleteTCB
    case 100:
      return TcpState::kClose;  // Bound
    default:
      return std::nullopt;
  }
}

LineResult PowerShellTableParser::parse(std::string_view line, Socket* s) {
  constexpr size_t kMax = 16;
  std::string_view f[kMax];
  size_t n = split_fields(line, f, kMax);
  if (line.find("LocalAddress") != std::string_view::npos &&
      line.find("LocalPort") != std::string_view::npos) {
    columns_.clear();
    wrapped_rest_ = {};
    for (size_t i = 0; i < n; ++i)
      columns_.push_back(column_named(f[i], i + 1 == n ? &wrapped_rest_ : nullptr));
    return header_line();
  }
  if (!wrapped_rest_.empty() && trim(line) == wrapped_rest_) {
    wrapped_rest_ = {};
    return header_line();
  }
  if (trim(line).find_first_not_of("- ") == std::string_view::npos) return header_line();
  if (columns_.empty()) return bad_line("data before the PowerShell table header");
  if (!has_required(columns_))
    return bad_line("the table lacks LocalAddress, LocalPort, RemoteAddress, RemotePort or State");
  if (n == columns_.size()) return fill(columns_, f, s);
  // AppliedSetting is blank for listening, loopback and TIME_WAIT connections; it is the only
  // column Get-NetTCPConnection leaves blank, so one missing field is that one.
  if (n + 1 == columns_.size()) {
    for (size_t k = 0; k < columns_.size(); ++k) {
      if (columns_[k] != PsColumn::kAppliedSetting) continue;
      std::string_view cells[kMax];
      for (size_t i = 0, j = 0; i < columns_.size(); ++i)
        cells[i] = i == k ? std::string_view() : f[j++];
      return fill(columns_, cells, s);
    }
  }
  return bad_line("fields do not match the table header", std::string(trim(line)));
}

namespace {

// One CSV record on one line: commas, double quotes with "" inside.
bool split_csv(std::string_view line, std::vector<std::string>* cells) {
  cells->clear();
  std::string cell;
  size_t i = 0;
  while (true) {
    cell.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') return false;
    } else {
      while (i < line.size() && line[i] != ',') cell.push_back(line[i++]);
    }
    cells->push_back(cell);
    if (cells->size() > 256) return false;
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

}  // namespace

LineResult PowerShellCsvParser::parse(std::string_view line, Socket* s) {
  if (line.starts_with("#TYPE") || line.starts_with("#")) return header_line();
  if (!split_csv(line, &cells_)) return bad_line("malformed CSV (unbalanced quotes)");
  if (columns_.empty()) {
    std::vector<PsColumn> cols;
    for (auto& c : cells_) cols.push_back(column_named(c));
    if (!has_required(cols))
      return bad_line(
          "CSV header lacks LocalAddress, LocalPort, RemoteAddress, RemotePort or State");
    columns_ = std::move(cols);
    return header_line();
  }
  if (cells_.size() != columns_.size())
    return bad_line("CSV row has a different number of cells than the header");
  std::string_view views[256];
  for (size_t i = 0; i < cells_.size(); ++i) {
    views[i] = cells_[i];
    if (columns_[i] == PsColumn::kState) {
      state_ = cells_[i];
      views[i] = state_;
    }
  }
  return fill(columns_, views, s);
}

}  // namespace tw
