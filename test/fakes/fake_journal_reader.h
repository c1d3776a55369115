#pragma once
// FakeJournalReader: an in-memory journal for handler tests. Entries get cursors "fake-<i>".
// Supports every Position, FIELD=VALUE matches (same field ORs, different fields AND) and
// until; units, priority and boot are not modelled (the real reader is tested against
// journalctl for those).

#include <poll.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infralogs/journal/reader.h"

namespace infralogs::test {

struct FakeEntry {
  uint64_t realtime_usec = 0;
  std::vector<std::string> items;  // "NAME=value"
  bool corrupt = false;            // read() fails for it
};

class FakeJournalReader : public journal::JournalReader {
 public:
  std::vector<FakeEntry> entries;
  Status readable = Status::ok();

  Result<std::unique_ptr<journal::Session>> open(const journal::Position& position,
                                                 const journal::Filter& filter) override {
    if (!readable.is_ok()) return readable;
    if ((position.start == journal::Position::Start::kCursor ||
         position.start == journal::Position::Start::kAfterCursor) &&
        position.cursor.rfind("fake-", 0) != 0) {
      return Status::invalid_argument("not a journal cursor");
    }
    return std::unique_ptr<journal::Session>(new FakeSession(*this, position, filter));
  }
  Status check_readable() override { return readable; }

 private:
  class FakeSession : public journal::Session {
   public:
    FakeSession(FakeJournalReader& r, journal::Position p, journal::Filter f)
        : r_(r), p_(std::move(p)), f_(std::move(f)), seen_(r.entries.size()) {
      rewind();
    }
    Result<bool> advance() override {
      while (true) {
        // At the end it stays put, so entries appended later are found (follow).
        if (i_ + 1 >= static_cast<long>(r_.entries.size())) return false;
        ++i_;
        if (!matches(r_.entries[i_])) continue;
        if (f_.until_usec && r_.entries[i_].realtime_usec > *f_.until_usec) return false;
        return true;
      }
    }
    Status read(journal::Entry* e) override {
      const FakeEntry& fe = r_.entries[i_];
      if (fe.corrupt) return Status::corruption("fake corrupt entry");
      e->clear();
      e->cursor = "fake-" + std::to_string(i_);
      e->realtime_usec = fe.realtime_usec;
      e->monotonic_usec = static_cast<uint64_t>(i_);
      e->boot_id = "0123456789abcdef0123456789abcdef";
      for (const auto& item : fe.items) e->add_item(item.data(), item.size());
      return Status::ok();
    }
    Status rewind() override {
      found_ = true;
      switch (p_.start) {
        case journal::Position::Start::kHead:
          i_ = -1 + p_.skip;
          break;
        case journal::Position::Start::kTail:
          i_ = static_cast<long>(r_.entries.size()) - 1 + p_.skip;
          break;
        case journal::Position::Start::kCursor:
          i_ = std::stol(p_.cursor.substr(5)) - 1 + p_.skip;
          break;
        case journal::Position::Start::kAfterCursor: {
          long c = std::stol(p_.cursor.substr(5));
          found_ = c < static_cast<long>(r_.entries.size());
          i_ = found_ ? c : static_cast<long>(r_.entries.size()) - 1;
          break;
        }
        case journal::Position::Start::kRealtime: {
          i_ = -1;
          while (i_ + 1 < static_cast<long>(r_.entries.size()) &&
                 r_.entries[i_ + 1].realtime_usec < p_.realtime_usec) {
            ++i_;
          }
          break;
        }
      }
      // A skip back past the head stops at the head, as sd_journal_previous_skip does (a
      // negative index here was read as entries[-N], found by fuzz_range_header).
      i_ = std::max(i_, -1L);
      return Status::ok();
    }
    bool cursor_found() const override { return found_; }
    // True at once when entries were added since the session opened or the last wait();
    // otherwise sleeps on interrupt_fd for the timeout and looks again (tests append to
    // `entries` only while no request is being served).
    Result<bool> wait(std::chrono::milliseconds timeout, int interrupt_fd) override {
      if (r_.entries.size() != seen_) {
        seen_ = r_.entries.size();
        return true;
      }
      pollfd fd{interrupt_fd, POLLIN, 0};
      ::poll(&fd, interrupt_fd >= 0 ? 1 : 0, static_cast<int>(timeout.count()));
      if (fd.revents & POLLIN) return false;
      bool grew = r_.entries.size() != seen_;
      seen_ = r_.entries.size();
      return grew;
    }

   private:
    bool matches(const FakeEntry& e) const {
      std::map<std::string, bool> by_field;
      for (const auto& [field, value] : f_.matches) {
        bool hit = std::find(e.items.begin(), e.items.end(), field + "=" + value) != e.items.end();
        by_field[field] = by_field[field] || hit;
      }
      return std::all_of(by_field.begin(), by_field.end(),
                         [](const auto& kv) { return kv.second; });
    }

    FakeJournalReader& r_;
    journal::Position p_;
    journal::Filter f_;
    size_t seen_;
    long i_ = -1;
    bool found_ = true;
  };
};

}  // namespace infralogs::test
