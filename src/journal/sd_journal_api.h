#pragma once
// The sd_journal functions the agent uses, resolved with dlopen("libsystemd.so.0") so the
// executable links only glibc (docs/build.md). Only this file's .cpp and sd_journal_reader.cpp
// see <systemd/sd-journal.h>.

#include <systemd/sd-journal.h>

#include <string>

namespace infralogs::journal {

struct SdJournalApi {
  decltype(&::sd_journal_open) open;
  decltype(&::sd_journal_open_directory) open_directory;
  decltype(&::sd_journal_open_files) open_files;
  decltype(&::sd_journal_close) close;
  decltype(&::sd_journal_next) next;
  decltype(&::sd_journal_previous) previous;
  decltype(&::sd_journal_next_skip) next_skip;
  decltype(&::sd_journal_previous_skip) previous_skip;
  decltype(&::sd_journal_seek_head) seek_head;
  decltype(&::sd_journal_seek_tail) seek_tail;
  decltype(&::sd_journal_seek_cursor) seek_cursor;
  decltype(&::sd_journal_seek_realtime_usec) seek_realtime_usec;
  decltype(&::sd_journal_test_cursor) test_cursor;
  decltype(&::sd_journal_get_cursor) get_cursor;
  decltype(&::sd_journal_get_realtime_usec) get_realtime_usec;
  decltype(&::sd_journal_get_monotonic_usec) get_monotonic_usec;
  decltype(&::sd_journal_set_data_threshold) set_data_threshold;
  decltype(&::sd_journal_enumerate_data) enumerate_data;
  decltype(&::sd_journal_restart_data) restart_data;
  decltype(&::sd_journal_add_match) add_match;
  decltype(&::sd_journal_add_disjunction) add_disjunction;
  decltype(&::sd_journal_add_conjunction) add_conjunction;
  decltype(&::sd_journal_get_usage) get_usage;
  decltype(&::sd_journal_get_fd) get_fd;
  decltype(&::sd_journal_get_events) get_events;
  decltype(&::sd_journal_get_timeout) get_timeout;
  decltype(&::sd_journal_process) process;
};

// The resolved functions, or nullptr with *error saying why (libsystemd missing, or a symbol
// missing from it). Loads once; thread-safe.
const SdJournalApi* sd_journal_api(std::string* error);

}  // namespace infralogs::journal
