#include "sd_journal_api.h"

#include <dlfcn.h>

#include <mutex>

namespace infralogs::journal {
namespace {

struct Loaded {
  SdJournalApi api{};
  std::string error;
  bool ok = false;
};

template <typename F>
bool resolve(void* lib, const char* name, F* out, std::string* error) {
  void* sym = dlsym(lib, name);
  if (!sym) {
    *error = std::string("libsystemd.so.0 has no ") + name;
    return false;
  }
  *out = reinterpret_cast<F>(sym);
  return true;
}

Loaded load() {
  Loaded l;
  void* lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = dlerror();
    l.error = std::string("cannot load libsystemd.so.0: ") + (e ? e : "unknown error");
    return l;
  }
  SdJournalApi& a = l.api;
  std::string& e = l.error;
  l.ok = resolve(lib, "sd_journal_open", &a.open, &e) &&
         resolve(lib, "sd_journal_open_directory", &a.open_directory, &e) &&
         resolve(lib, "sd_journal_open_files", &a.open_files, &e) &&
         resolve(lib, "sd_journal_close", &a.close, &e) &&
         resolve(lib, "sd_journal_next", &a.next, &e) &&
         resolve(lib, "sd_journal_previous", &a.previous, &e) &&
         resolve(lib, "sd_journal_next_skip", &a.next_skip, &e) &&
         resolve(lib, "sd_journal_previous_skip", &a.previous_skip, &e) &&
         resolve(lib, "sd_journal_seek_head", &a.seek_head, &e) &&
         resolve(lib, "sd_journal_seek_tail", &a.seek_tail, &e) &&
         resolve(lib, "sd_journal_seek_cursor", &a.seek_cursor, &e) &&
         resolve(lib, "sd_journal_seek_realtime_usec", &a.seek_realtime_usec, &e) &&
         resolve(lib, "sd_journal_test_cursor", &a.test_cursor, &e) &&
         resolve(lib, "sd_journal_get_cursor", &a.get_cursor, &e) &&
         resolve(lib, "sd_journal_get_realtime_usec", &a.get_realtime_usec, &e) &&
         resolve(lib, "sd_journal_get_monotonic_usec", &a.get_monotonic_usec, &e) &&
         resolve(lib, "sd_journal_set_data_threshold", &a.set_data_threshold, &e) &&
         resolve(lib, "sd_journal_enumerate_data", &a.enumerate_data, &e) &&
         resolve(lib, "sd_journal_restart_data", &a.restart_data, &e) &&
         resolve(lib, "sd_journal_add_match", &a.add_match, &e) &&
         resolve(lib, "sd_journal_add_disjunction", &a.add_disjunction, &e) &&
         resolve(lib, "sd_journal_add_conjunction", &a.add_conjunction, &e) &&
         resolve(lib, "sd_journal_get_usage", &a.get_usage, &e) &&
         resolve(lib, "sd_journal_get_fd", &a.get_fd, &e) &&
         resolve(lib, "sd_journal_get_events", &a.get_events, &e) &&
         resolve(lib, "sd_journal_get_timeout", &a.get_timeout, &e) &&
         resolve(lib, "sd_journal_process", &a.process, &e);
  // The library stays loaded for the life of the process: sessions may be open at exit.
  return l;
}

}  // namespace

const SdJournalApi* sd_journal_api(std::string* error) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

}  // namespace infralogs::journal
