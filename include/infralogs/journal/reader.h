#pragma once
// JournalReader: the journal behind an interface, so HTTP handlers can be tested with
// test/fakes/fake_journal_reader.h. The real one is SdJournalReader (sd_journal_reader.h).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "infralogs/core/status.h"
#include "infralogs/journal/entry.h"
#include "infralogs/journal/query.h"

namespace infralogs::journal {

// One read through the journal. Not thread-safe: use a session from one thread at a time.
// Lifetime: a session must not outlive the reader that opened it (SdJournalReader's sessions
// keep its ReaderOptions by reference). Not copyable: a session owns its journal handle.
class Session {
 public:
  Session() = default;
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Moves to the next matching entry. Returns false at the end (or at Filter::until_usec).
  // An error means the journal could not be read past here.
  virtual Result<bool> advance() = 0;
  // Reads the entry advance() moved to into *entry. kCorruption when the entry cannot be read
  // whole; the caller may skip it and advance.
  virtual Status read(Entry* entry) = 0;
  // Goes back to the start position, so the same entries can be read again.
  virtual Status rewind() = 0;
  // For Start::kAfterCursor: whether the journal still had the cursor's entry (set by the first
  // advance()). Always true for other starts.
  virtual bool cursor_found() const = 0;

  // Following (journalctl -f): once advance() returned false at the end of the journal, blocks
  // until the journal may hold more, `timeout` has passed, or `interrupt_fd` (when >= 0) is
  // readable (it is polled, never read: one eventfd can interrupt many sessions). Returns true
  // when the journal may have changed: call advance() again, which may still return false;
  // false on timeout or interrupt. Never busy: it sleeps in poll(2) on the journal's inotify
  // descriptor. The first call starts the watch and returns true at once, because what was
  // appended before it started is seen by no notification. A session past Filter::until_usec,
  // or one that hit a read error, never sees more: wait() then only sleeps. An error: the
  // journal cannot be watched (inotify limits).
  virtual Result<bool> wait(std::chrono::milliseconds timeout, int interrupt_fd) = 0;
};

class JournalReader {
 public:
  virtual ~JournalReader() = default;

  // Opens a session positioned at `position` with `filter` applied; the caller owns it, and it
  // must be destroyed before this reader. kInvalidArgument for a cursor or filter the journal
  // rejects; kUnavailable when the journal cannot be opened. Thread-safe: sessions are
  // independent.
  virtual Result<std::unique_ptr<Session>> open(const Position& position, const Filter& filter) = 0;

  // Ok when the journal can be opened and holds at least one readable file; otherwise a Status
  // saying why (for /healthz). Thread-safe.
  virtual Status check_readable() = 0;
};

}  // namespace infralogs::journal
