#pragma once
// JournalReader: the journal behind an interface, so HTTP handlers can be tested with
// test/fakes/fake_journal_reader.h. The real one is SdJournalReader (sd_journal_reader.h).

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
