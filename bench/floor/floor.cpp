// journal-floor: the least a reader of the whole journal through libsystemd can spend. It
// walks every entry of a directory with sd_journal, takes the cursor, both timestamps and
// every data item (whole, no 64 KiB threshold), exactly what the agent reads per entry, and
// encodes and sends nothing. bench/agent/run compares the agent's CPU per entry with this.
//
// Usage: journal-floor DIRECTORY
// Prints "entries N items I bytes B cpu_s S" (S: user+system seconds of this process) and
// exits 0; 1 if the journal cannot be opened or read; 2 for a usage error.

#include <sys/resource.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: journal-floor DIRECTORY\n");
    return 2;
  }
  sd_journal* j = nullptr;
  int r = sd_journal_open_directory(&j, argv[1], 0);
  if (r < 0) {
    std::fprintf(stderr, "journal-floor: cannot open %s: %s\n", argv[1], std::strerror(-r));
    return 1;
  }
  // As the agent does: whole values, never truncated at the default threshold.
  sd_journal_set_data_threshold(j, 0);
  unsigned long long entries = 0, items = 0, bytes = 0, touch = 0;
  while ((r = sd_journal_next(j)) > 0) {
    char* cursor = nullptr;
    uint64_t realtime = 0, monotonic = 0;
    sd_id128_t boot;
    if ((r = sd_journal_get_cursor(j, &cursor)) < 0 ||
        (r = sd_journal_get_realtime_usec(j, &realtime)) < 0 ||
        (r = sd_journal_get_monotonic_usec(j, &monotonic, &boot)) < 0) {
      break;
    }
    touch += static_cast<unsigned char>(cursor[0]) + realtime + monotonic + boot.bytes[0];
    std::free(cursor);
    const void* data;
    size_t size;
    sd_journal_restart_data(j);
    while ((r = sd_journal_enumerate_data(j, &data, &size)) > 0) {
      ++items;
      bytes += size;
      // Touch the first and last byte, so the data is really read and not only located.
      touch += static_cast<const unsigned char*>(data)[0] +
               static_cast<const unsigned char*>(data)[size - 1];
    }
    if (r < 0) break;
    ++entries;
  }
  sd_journal_close(j);
  if (r < 0) {
    std::fprintf(stderr, "journal-floor: read error after %llu entries: %s\n", entries,
                 std::strerror(-r));
    return 1;
  }
  std::printf("entries %llu items %llu bytes %llu cpu_s %.3f touch %llu\n", entries, items, bytes,
              cpu_seconds(), touch % 1000);
  return 0;
}
