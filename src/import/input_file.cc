// SPDX-License-Identifier: Apache-2.0
#include "import/input_file.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace tw {

namespace {

// Sockets handed from the importer's thread to the reader at a time: enough to make the hand-over
// cheap, small enough to keep memory flat.
constexpr size_t kBatch = 4096;

// A socket copied out of the importer's callback: its command and state spelling point into the
// importer's line buffer, which moves on.
struct HeldSocket {
  Socket socket;
  std::string command, original_state;
};

class FileInput final : public Input {
 public:
  explicit FileInput(ImportOptions options) : options_(std::move(options)) {
    worker_ = std::thread([this] { run(); });
  }
  ~FileInput() override {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  InputKind kind() const override {
    return facts_.source.starts_with("import:") ? InputKind::kDump : InputKind::kSnapshot;
  }

  Result<HostFacts*> facts() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return facts_ready_ || done_; });
    if (!facts_ready_ && !result_) return fail(result_.error());
    return &facts_;
  }

  Result<StreamReport> stream(StateMask mask, SocketReceiver& to) override {
    if (auto f = facts(); !f) return fail(f.error());
    {
      std::lock_guard lock(mu_);
      streaming_ = true;
    }
    cv_.notify_all();
    std::vector<HeldSocket> mine;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !ready_.empty() || done_; });
        if (ready_.empty()) break;
        mine.swap(ready_);
      }
      cv_.notify_all();
      for (HeldSocket& h : mine) {
        if (!mask.has(h.socket.state)) continue;
        h.socket.command = h.command;
        h.socket.original_state = h.original_state;
        to.add(h.socket);
      }
      mine.clear();
    }
    if (!result_) return fail(result_.error());
    return StreamReport{facts_.source, describe_import(*result_), result_->sockets,
                        std::make_shared<const ImportReport>(*result_)};
  }

 private:
  void run() {
    HostFacts facts;
    bool published = false, dropping = false;
    std::vector<HeldSocket> batch;
    // Waits until the reader took the last batch; false when the input was closed unread.
    auto hand_over = [&] {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return ready_.empty() || closed_; });
      if (closed_) return false;
      ready_.swap(batch);
      lock.unlock();
      cv_.notify_all();
      batch.clear();
      return true;
    };
    auto r = import_file(options_, &facts, [&](const Socket& s) {
      if (dropping) return;
      if (!published) {
        std::unique_lock lock(mu_);
        facts_ = facts;
        facts_ready_ = published = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return streaming_ || closed_; });
        if (closed_) {
          dropping = true;
          return;
        }
      }
      batch.push_back(HeldSocket{s, std::string(s.command), std::string(s.original_state)});
      if (batch.size() >= kBatch && !hand_over()) dropping = true;
    });
    if (!dropping && !batch.empty()) hand_over();
    std::lock_guard lock(mu_);
    if (!published) {
      facts_ = facts;
      facts_ready_ = r.has_value();
    }
    result_ = std::move(r);
    done_ = true;
    cv_.notify_all();
  }

  const ImportOptions options_;
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  HostFacts facts_;
  bool facts_ready_ = false, streaming_ = false, closed_ = false, done_ = false;
  std::vector<HeldSocket> ready_;
  Result<ImportReport> result_ = fail("not read");
};

}  // namespace

std::unique_ptr<Input> open_file_input(const ImportOptions& options) {
  return std::make_unique<FileInput>(options);
}

Result<std::unique_ptr<Input>> open_input(const InputSpec& spec) {
  if (spec.from.empty()) return open_live_input(spec.target, spec.source);
  ImportOptions o{spec.from, spec.format, spec.strict, std::nullopt};
  for (int i = 0; i < kStateCount; ++i)
    if (spec.requested.bits == StateMask::of(state_at(i)).bits) o.implied_state = state_at(i);
  return open_file_input(o);
}

}  // namespace tw
