#include "infralogs/journal/progress_reader.h"

#include "infralogs/core/time.h"

namespace infralogs::journal {
namespace {

class RecordingSession : public Session {
 public:
  RecordingSession(std::unique_ptr<Session> inner, ProgressReader& owner)
      : inner_(std::move(inner)), owner_(owner) {}
  Result<bool> advance() override { return inner_->advance(); }
  Status read(Entry* entry) override {
    Status s = inner_->read(entry);
    if (s.is_ok()) owner_.record_served(*entry);
    return s;
  }
  Status rewind() override { return inner_->rewind(); }
  bool cursor_found() const override { return inner_->cursor_found(); }
  // Follow responses wait through the wrapper like any other session.
  Result<bool> wait(std::chrono::milliseconds timeout, int interrupt_fd) override {
    return inner_->wait(timeout, interrupt_fd);
  }

 private:
  std::unique_ptr<Session> inner_;
  ProgressReader& owner_;
};

}  // namespace

ProgressReader::ProgressReader(JournalReader& inner, ProgressReaderOptions options)
    : inner_(inner), options_(std::move(options)), started_usec_(now()) {}

uint64_t ProgressReader::now() const {
  return options_.now_usec ? options_.now_usec() : now_usec();
}

Result<std::unique_ptr<Session>> ProgressReader::open(const Position& position,
                                                      const Filter& filter) {
  auto s = inner_.open(position, filter);
  if (!s) return s.status();
  return std::unique_ptr<Session>(std::make_unique<RecordingSession>(std::move(*s), *this));
}

void ProgressReader::record_served(const Entry& entry) {
  uint64_t t = now();
  MutexLock lock(mu_);
  last_cursor_ = entry.cursor;
  last_realtime_usec_ = entry.realtime_usec;
  last_served_at_usec_ = t;
}

std::optional<ServeProgress> ProgressReader::serve_progress() {
  ServeProgress p;
  // The newest entry: from the tail, one back (gatewayd's negative skip); read to the end, so
  // the last entry read is the newest whichever entry the skip lands on.
  Position tail;
  tail.start = Position::Start::kTail;
  tail.skip = -1;
  if (auto session = inner_.open(tail, Filter{})) {
    Entry e;
    for (int i = 0; i < 4; ++i) {
      Result<bool> more = (*session)->advance();
      if (!more || !*more) break;
      if ((*session)->read(&e).is_ok()) {
        p.tail_cursor = e.cursor;
        p.tail_realtime_usec = e.realtime_usec;
      }
    }
  }
  uint64_t t = now();
  MutexLock lock(mu_);
  p.last_served_cursor = last_cursor_;
  p.last_served_realtime_usec = last_realtime_usec_;
  uint64_t since = last_served_at_usec_ ? last_served_at_usec_ : started_usec_;
  p.seconds_since_served = t > since ? (t - since) / 1000000 : 0;
  bool behind = !p.tail_cursor.empty() && p.tail_cursor != last_cursor_;
  p.stalled =
      behind && p.seconds_since_served >= static_cast<uint64_t>(options_.stall_after.count());
  return p;
}

}  // namespace infralogs::journal
