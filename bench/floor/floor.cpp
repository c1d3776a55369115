// journal-floor: the least a reader of the whole journal through libsystemd can spend. It
// walks every entry of a directory with sd_journal, takes the cursor, both timestamps and
// every data item (whole, no 64 KiB threshold), exactly what the agent reads per entry, and
// encodes and sends nothing. bench/agent/run compares the agent's CPU per entry with this.
//
// Usage: journal-floor [--next-only] [--trim-every N] DIRECTORY
//   --next-only     only sd_journal_next over every entry: what the agent's count-ahead pass
//                   for Infralogs-More costs on its own
//   --trim-every N  after every N entries drop the mapped journal pages (MADV_DONTNEED on every
//                   *.journal mapping, as the agent's SdJournalReader does): what bounding the
//                   agent's RSS costs
// Prints "entries N items I bytes B cpu_s S" (S: user+system seconds of this process) and
// exits 0; 1 if the journal cannot be opened or read; 2 for a usage error.

#include <sys/mman.h>
#include <sys/resource.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The agent's trim_journal_mappings() (src/journal/sd_journal_reader.cpp), repeated here so the
// floor links nothing of the project.
void trim_journal_mappings() {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (!maps) return;
  char line[4096];
  while (std::fgets(line, sizeof line, maps)) {
    std::string_view l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == ' ')) l.remove_suffix(1);
    if (!l.ends_with(".journal") && !l.ends_with(".journal~")) continue;
    unsigned long start = 0, end = 0;
    char perms[8] = {0};
    if (std::sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[1] == 'w') continue;
    madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  std::fclose(maps);
}

}  // namespace

int main(int argc, char** argv) {
  bool next_only = false;
  unsigned long trim_every = 0;
  const char* dir = nullptr;
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (arg == "--next-only") {
      next_only = true;
    } else if (arg == "--trim-every" && a + 1 < argc) {
      trim_every = std::strtoul(argv[++a], nullptr, 10);
    } else if (!arg.starts_with("-") && !dir) {
      dir = argv[a];
    } else {
      dir = nullptr;
      break;
    }
  }
  if (!dir) {
    std::fprintf(stderr, "usage: journal-floor [--next-only] [--trim-every N] DIRECTORY\n");
    return 2;
  }
  sd_journal* j = nullptr;
  int r = sd_journal_open_directory(&j, dir, 0);
  if (r < 0) {
    std::fprintf(stderr, "journal-floor: cannot open %s: %s\n", dir, std::strerror(-r));
    return 1;
  }
  // As the agent does: whole values, never truncated at the default threshold.
  sd_journal_set_data_threshold(j, 0);
  unsigned long long entries = 0, items = 0, bytes = 0, touch = 0;
  while ((r = sd_journal_next(j)) > 0) {
    if (trim_every && entries % trim_every == 0) trim_journal_mappings();
    if (next_only) {
      ++entries;
      continue;
    }
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
