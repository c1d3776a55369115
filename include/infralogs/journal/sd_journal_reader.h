#pragma once
// SdJournalReader: JournalReader over libsystemd's sd_journal API. libsystemd is opened with
// dlopen at first use, so the binary links nothing but glibc; without libsystemd, open() and
// check_readable() return kUnavailable saying so.

#include <string>
#include <vector>

#include "infralogs/journal/reader.h"

namespace infralogs::journal {

struct ReaderOptions {
  // Journal directories to read (journalctl -D). Empty with files empty: the local system
  // journal (journalctl with no source option).
  std::vector<std::string> directories;
  // Journal files to read (journalctl --file).
  std::vector<std::string> files;
  // After this many entries, or after this many times 512 bytes of data items (whichever comes
  // first: big entries touch more pages), a session drops the journal file pages it has mapped
  // from memory (0: never): memory stays bounded however long the read (sd_journal_reader.cpp
  // says how).
  size_t trim_every = 1000;
};

class SdJournalReader : public JournalReader {
 public:
  explicit SdJournalReader(ReaderOptions options);

  Result<std::unique_ptr<Session>> open(const Position& position, const Filter& filter) override;
  Status check_readable() override;

 private:
  ReaderOptions options_;
};

}  // namespace infralogs::journal
