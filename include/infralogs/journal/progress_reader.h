#pragma once
// ProgressReader: a JournalReader in front of another that remembers the entry it last read for
// a client, so the agent's /healthz can say when the journal grows and nobody takes the new
// entries (a collector whose cursor stopped moving: issue 11, stall detection). The agent
// reads entries only to send them, so "read through a session" is "served".

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "infralogs/core/mutex.h"
#include "infralogs/journal/reader.h"

namespace infralogs::journal {

struct ProgressReaderOptions {
  // Nothing served for this long while the tail is past the entry last served: stalled.
  std::chrono::seconds stall_after{300};
  // The wall clock in µs since the epoch; defaults to the system clock. Tests set it.
  std::function<uint64_t()> now_usec;
};

// Thread-safe, as JournalReader requires: sessions record into it from any thread. `inner` must
// outlive it, and its sessions must be destroyed before it.
class ProgressReader : public JournalReader {
 public:
  ProgressReader(JournalReader& inner, ProgressReaderOptions options = {});

  // inner's session; each entry it reads whole is recorded as served.
  Result<std::unique_ptr<Session>> open(const Position& position, const Filter& filter) override;
  Status check_readable() override { return inner_.check_readable(); }
  // Reads the journal's newest entry now (a session of its own, not counted as served) and
  // compares it with the last one served.
  std::optional<ServeProgress> serve_progress() override;

  // Called by the sessions it opened.
  void record_served(const Entry& entry);

 private:
  uint64_t now() const;

  JournalReader& inner_;
  ProgressReaderOptions options_;
  uint64_t started_usec_;
  Mutex mu_;
  std::string last_cursor_ GUARDED_BY(mu_);
  uint64_t last_realtime_usec_ GUARDED_BY(mu_) = 0;
  uint64_t last_served_at_usec_ GUARDED_BY(mu_) = 0;
};

}  // namespace infralogs::journal
