#include "infralogs/journal/sd_journal_reader.h"

#include <dirent.h>
#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "sd_journal_api.h"
#include "sigbus.h"

namespace infralogs::journal {
namespace {

std::string errno_text(int r) { return std::strerror(r < 0 ? -r : r); }

// A cursor's "s=" part: the ID of the sequence its seqnum counts in ("" when it has none).
std::string_view sequence_of(std::string_view cursor) {
  size_t at = 0;
  if (cursor.starts_with("s=")) {
    at = 2;
  } else if ((at = cursor.find(";s=")) != std::string_view::npos) {
    at += 3;
  } else {
    return {};
  }
  return cursor.substr(at, cursor.find(';', at) - at);
}

// Whether the filter leaves some entries out (until_usec only ends the read).
bool narrows(const Filter& f) {
  return !f.units.empty() || f.max_priority || f.boot_id || !f.matches.empty();
}

bool has_suffix(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The journal files of every directory, for sd_journal_open_files() (which, unlike
// sd_journal_open_directory(), takes more than one source).
Status list_journal_files(const std::vector<std::string>& dirs, std::vector<std::string>* out) {
  for (const std::string& dir : dirs) {
    DIR* d = opendir(dir.c_str());
    if (!d)
      return Status::unavailable("cannot open journal directory " + dir + ": " + errno_text(errno));
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (has_suffix(name, ".journal") || has_suffix(name, ".journal~")) {
        out->push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  std::sort(out->begin(), out->end());
  return Status::ok();
}

Result<sd_journal*> open_journal(const SdJournalApi& api, const ReaderOptions& options) {
  sd_journal* j = nullptr;
  int r;
  std::string what;
  if (options.directories.empty() && options.files.empty()) {
    what = "the system journal";
    r = api.open(&j, SD_JOURNAL_LOCAL_ONLY);
  } else if (options.directories.size() == 1 && options.files.empty()) {
    what = "journal directory " + options.directories[0];
    r = api.open_directory(&j, options.directories[0].c_str(), 0);
  } else {
    std::vector<std::string> files = options.files;
    Status s = list_journal_files(options.directories, &files);
    if (!s.is_ok()) return s;
    std::vector<const char*> paths;
    for (const auto& f : files) paths.push_back(f.c_str());
    paths.push_back(nullptr);
    what = "journal files";
    r = api.open_files(&j, paths.data(), 0);
  }
  if (r < 0) return Status::unavailable("cannot open " + what + ": " + errno_text(r));
  // Whole values, never truncated at libsystemd's default 64 KiB threshold.
  api.set_data_threshold(j, 0);
  return j;
}

int add_match(const SdJournalApi& api, sd_journal* j, const std::string& m) {
  return api.add_match(j, m.data(), m.size());
}

// libsystemd keeps up to 64 windows of 8 MiB of journal files mapped per open journal, and every
// page touched stays resident while mapped: a long read would hold hundreds of MiB. The
// mappings are read-only and shared, so MADV_DONTNEED only drops pages from this process's page
// tables (they stay in the page cache and fault back in if read again): the agent's memory stays
// bounded without reopening the journal. Safe against other threads reading the same files.
void trim_journal_mappings() {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (!maps) return;
  char line[4096];
  while (std::fgets(line, sizeof line, maps)) {
    std::string_view l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == ' ')) l.remove_suffix(1);
    if (!has_suffix(l, ".journal") && !has_suffix(l, ".journal~")) continue;
    unsigned long start = 0, end = 0;
    char perms[8] = {0};
    if (std::sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[1] == 'w') continue;
    madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  std::fclose(maps);
}

// journalctl's add_matches_for_unit() (src/shared/logs-show.c, systemd 252).
int add_unit_matches(const SdJournalApi& api, sd_journal* j, const std::string& unit) {
  int r;
  (void)((r = add_match(api, j, "_SYSTEMD_UNIT=" + unit)) || (r = api.add_disjunction(j)) ||
         (r = add_match(api, j, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1")) ||
         (r = add_match(api, j, "_UID=0")) || (r = add_match(api, j, "COREDUMP_UNIT=" + unit)) ||
         (r = api.add_disjunction(j)) || (r = add_match(api, j, "_PID=1")) ||
         (r = add_match(api, j, "UNIT=" + unit)) || (r = api.add_disjunction(j)) ||
         (r = add_match(api, j, "_UID=0")) ||
         (r = add_match(api, j, "OBJECT_SYSTEMD_UNIT=" + unit)));
  if (r == 0 && has_suffix(unit, ".slice")) {
    (void)((r = api.add_disjunction(j)) || (r = add_match(api, j, "_SYSTEMD_SLICE=" + unit)));
  }
  return r;
}

// Adds the filter in journalctl's order (boot, units, priorities, then field matches), each
// group closed by a conjunction, so the result is the entries journalctl would print.
Status add_filter(const SdJournalApi& api, sd_journal* j, const Filter& f) {
  int r = 0;
  if (f.boot_id) {
    if ((r = add_match(api, j, "_BOOT_ID=" + *f.boot_id)) < 0 || (r = api.add_conjunction(j)) < 0) {
      return Status::invalid_argument("boot: " + errno_text(r));
    }
  }
  if (!f.units.empty()) {
    for (const auto& unit : f.units) {
      if ((r = add_unit_matches(api, j, unit)) < 0 || (r = api.add_disjunction(j)) < 0) {
        return Status::invalid_argument("unit '" + unit + "': " + errno_text(r));
      }
    }
    if ((r = api.add_conjunction(j)) < 0) return Status::invalid_argument("unit: " + errno_text(r));
  }
  // journalctl -p debug selects every priority and so adds no match at all.
  if (f.max_priority && *f.max_priority < 7) {
    for (int p = 0; p <= *f.max_priority; ++p) {
      if ((r = add_match(api, j, "PRIORITY=" + std::to_string(p))) < 0) {
        return Status::invalid_argument("priority: " + errno_text(r));
      }
    }
    if ((r = api.add_conjunction(j)) < 0)
      return Status::invalid_argument("priority: " + errno_text(r));
  }
  for (const auto& [field, value] : f.matches) {
    if ((r = add_match(api, j, field + "=" + value)) < 0) {
      return Status::invalid_argument("match " + field + ": " + errno_text(r));
    }
  }
  return Status::ok();
}

void format_id128(const sd_id128_t& id, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->resize(32);
  for (int i = 0; i < 16; ++i) {
    (*out)[2 * i] = kHex[id.bytes[i] >> 4];
    (*out)[2 * i + 1] = kHex[id.bytes[i] & 15];
  }
}

class SdSession : public Session {
 public:
  SdSession(const SdJournalApi& api, const ReaderOptions& options, sd_journal* j, Position position,
            Filter filter)
      : api_(api),
        options_(options),
        j_(j),
        position_(std::move(position)),
        filter_(std::move(filter)),
        until_(filter_.until_usec),
        usage_at_open_(usage()) {}
  ~SdSession() override { api_.close(j_); }

  Status seek() {
    started_ = false;
    ended_ = false;
    int r = 0;
    switch (position_.start) {
      case Position::Start::kHead:
        r = api_.seek_head(j_);
        break;
      case Position::Start::kTail:
        r = api_.seek_tail(j_);
        break;
      case Position::Start::kCursor:
      case Position::Start::kAfterCursor:
        r = api_.seek_cursor(j_, position_.cursor.c_str());
        break;
      case Position::Start::kRealtime:
        r = api_.seek_realtime_usec(j_, position_.realtime_usec);
        break;
    }
    if (r < 0) {
      if (position_.start == Position::Start::kCursor ||
          position_.start == Position::Start::kAfterCursor) {
        return Status::invalid_argument("not a journal cursor: " + errno_text(r));
      }
      return Status::unavailable("cannot seek in the journal: " + errno_text(r));
    }
    return Status::ok();
  }

  Result<bool> advance() override {
    if (faulted_) return shrunk_file();
    if (ended_) return false;
    bool first = !started_;
    uint64_t faults = sigbus_faults_on_this_thread();
    int r = started_ ? api_.next(j_) : first_move();
    if (sigbus_faults_on_this_thread() != faults) return shrunk_file();
    // Trim after the first move too: seeking a cursor bisects every file's entry arrays.
    // Also after trim_every * kTrimBytesPerEntry bytes of items: big entries (long messages,
    // 60+ fields, binary payloads) touch more pages each, and counting entries alone let
    // them reach 22-24 MiB of peak RSS where the current mix stays near 17 MiB.
    if (options_.trim_every > 0 &&
        (first || ++since_trim_ >= options_.trim_every ||
         bytes_since_trim_ >= options_.trim_every * kTrimBytesPerEntry)) {
      since_trim_ = 0;
      bytes_since_trim_ = 0;
      trim_journal_mappings();
    }
    started_ = true;
    if (r < 0) return Status::corruption("cannot read the next journal entry: " + errno_text(r));
    if (r == 0) {
      ended_ = true;
      if (dropped_a_file()) return damaged_file();
      return false;
    }
    if (until_) {
      uint64_t t = 0;
      if (api_.get_realtime_usec(j_, &t) >= 0 && t > *until_) {
        ended_ = true;
        past_until_ = true;
        return false;
      }
    }
    return true;
  }

  Status read(Entry* e) override {
    if (faulted_) return shrunk_file().status();
    uint64_t faults = sigbus_faults_on_this_thread();
    Status s = read_entry(e);
    bytes_since_trim_ += e->item_bytes();
    if (sigbus_faults_on_this_thread() != faults) return shrunk_file().status();
    return s;
  }

  Status rewind() override {
    if (faulted_) return shrunk_file().status();
    // A damaged file dropped by the pass being rewound would be missing from the next one
    // too (the agent counts a page ahead, then rewinds and serves it: it served nothing of a
    // file damaged in the middle, where journalctl prints the entries before the damage).
    // A fresh handle has every file again.
    if (dropped_a_file()) {
      Result<sd_journal*> j = open_journal(api_, options_);
      if (!j) return j.status();
      Status s = add_filter(api_, *j, filter_);
      if (!s.is_ok()) {
        api_.close(*j);
        return s;
      }
      api_.close(j_);
      j_ = *j;
      usage_at_open_ = usage();
    }
    return seek();
  }

  bool cursor_found() const override { return cursor_found_; }

  Result<bool> wait(std::chrono::milliseconds timeout, int interrupt_fd) override {
    const bool never_more = faulted_ || past_until_;
    int fd = -1;
    if (!never_more) {
      fd = api_.get_fd(j_);
      if (fd < 0) return Status::unavailable("cannot watch the journal: " + errno_text(fd));
      if (!watching_) {
        watching_ = true;
        ended_ = false;
        return true;
      }
    }
    // libsystemd asks for a wake-up of its own on file systems without inotify (network file
    // systems: every 250 ms); it is then polled, which is what journalctl -f does there too.
    auto ms = timeout.count();
    bool journal_timeout = false;
    uint64_t until = 0;
    if (fd >= 0 && api_.get_timeout(j_, &until) >= 0 && until != UINT64_MAX) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      uint64_t now_usec = static_cast<uint64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
      long long left =
          until > now_usec ? static_cast<long long>((until - now_usec + 999) / 1000) : 0;
      if (left < ms) {
        ms = left;
        journal_timeout = true;
      }
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (fd >= 0) fds[n++] = {fd, static_cast<short>(api_.get_events(j_)), 0};
    if (interrupt_fd >= 0) fds[n++] = {interrupt_fd, POLLIN, 0};
    int r = poll(fds, n, static_cast<int>(std::max<long long>(ms, 0)));
    if (r < 0 && errno != EINTR) return Status::unavailable("poll: " + errno_text(errno));
    if (never_more) return false;
    if (interrupt_fd >= 0 && (fds[n - 1].revents & POLLIN)) return false;
    // Reads the inotify events and updates the set of files (new, rotated and deleted ones).
    int p = api_.process(j_);
    if (p < 0) return Status::unavailable("cannot watch the journal: " + errno_text(p));
    if (p == SD_JOURNAL_NOP && !journal_timeout) return false;
    ended_ = false;
    return true;
  }

 private:
  // A journal file shrank under this session (sigbus.h): what was read from the zero-filled
  // pages is not the file, so nothing more is served from it. The caller ends the page and the
  // client resumes from its last cursor with a new session, which maps the file as it is now.
  Result<bool> shrunk_file() {
    faulted_ = true;
    ended_ = true;
    return Status::corruption("a journal file shrank while it was being read (SIGBUS)");
  }

  // libsystemd drops a file from an open journal when it cannot iterate through it (a broken
  // entry array: real_journal_next() logs "Can't iterate through ..., ignoring" at debug level
  // only), and the read goes on as if the file ended there. Nothing reports it but the disk
  // usage of the files still open, which then shrinks: files only grow while they are open (a
  // truncation is a SIGBUS, sigbus.h; a vacuumed file stays open). Two exceptions, both
  // needing journald to act during the read: archiving a file punches holes in its unused
  // tail (a spurious error, counted and logged once, nothing lost), and the live file growing
  // by more than the dropped file's size would hide the drop. One fstat per file, so it is
  // asked at the end of a read, not per entry.
  uint64_t usage() const {
    uint64_t bytes = 0;
    return api_.get_usage(j_, &bytes) >= 0 ? bytes : 0;
  }
  bool dropped_a_file() const { return usage() < usage_at_open_; }

  // The end of the read came early: entries of a damaged file past the damage cannot be read.
  // An error, so the caller counts and logs it instead of taking the end for "caught up". The
  // entries before it were served; the next read from their cursor ends here again.
  Result<bool> damaged_file() {
    return Status::corruption(
        "a journal file is damaged: its entries past the damage cannot be read (libsystemd "
        "stopped iterating through it; journalctl --verify says where)");
  }

  Status read_entry(Entry* e) {
    e->clear();
    char* cursor = nullptr;
    int r = api_.get_cursor(j_, &cursor);
    if (r < 0) return Status::corruption("cannot get the entry's cursor: " + errno_text(r));
    e->cursor = cursor;
    std::free(cursor);
    if ((r = api_.get_realtime_usec(j_, &e->realtime_usec)) < 0) {
      return Status::corruption("cannot get the entry's realtime: " + errno_text(r));
    }
    sd_id128_t boot;
    if ((r = api_.get_monotonic_usec(j_, &e->monotonic_usec, &boot)) < 0) {
      return Status::corruption("cannot get the entry's monotonic time: " + errno_text(r));
    }
    format_id128(boot, &e->boot_id);
    api_.restart_data(j_);
    const void* data;
    size_t size;
    while ((r = api_.enumerate_data(j_, &data, &size)) > 0) {
      // A damaged file can hand back an item that is not NAME=value at all; journalctl stops
      // at it ("Invalid field."), the agent leaves the entry out and counts it. add_item()
      // checks the name as it finds the '='.
      e->add_item(data, size);
      if (!e->is_field(e->item_count() - 1))
        return Status::corruption("the entry has a malformed data item");
    }
    if (r < 0) return Status::corruption("cannot read the entry's data: " + errno_text(r));
    return Status::ok();
  }

  // The first move from the seek position: gatewayd's rules for skips
  // (src/journal-remote/journal-gatewayd.c), and for kAfterCursor the entry at the cursor is
  // stepped over only when it is still there, so a vacuumed cursor loses nothing.
  int first_move() {
    if (position_.start == Position::Start::kAfterCursor) {
      int r = api_.next(j_);
      if (r == 0 && !narrows(filter_)) return past_the_end();
      if (r <= 0) return r;
      cursor_found_ = api_.test_cursor(j_, position_.cursor.c_str()) > 0;
      return cursor_found_ ? api_.next(j_) : r;
    }
    if (position_.skip < 0)
      return api_.previous_skip(j_, static_cast<uint64_t>(-position_.skip) + 1);
    if (position_.skip > 0) return api_.next_skip(j_, static_cast<uint64_t>(position_.skip) + 1);
    return api_.next(j_);
  }

  // Nothing at or after the cursor's place, with no filter: had the journal its entry,
  // seek_cursor would have landed on it, so the entry is gone. libsystemd seeks a cursor it
  // does not know by its realtime, so a journal replaced by one whose entries are all older
  // lands here, and reading on would answer "nothing new" for entries never served. Those of
  // another sequence are served from the head (the collector records a gap); when the head
  // continues the cursor's own sequence, they are older entries of it, already served:
  // nothing new, from where the cursor was (a follower waits there).
  int past_the_end() {
    cursor_found_ = false;
    int r = api_.seek_head(j_);
    if (r < 0) return r;
    if ((r = api_.next(j_)) <= 0) return r;
    char* head = nullptr;
    if ((r = api_.get_cursor(j_, &head)) < 0) return r;
    bool same = sequence_of(head) == sequence_of(position_.cursor);
    std::free(head);
    if (!same) return 1;
    if ((r = api_.seek_cursor(j_, position_.cursor.c_str())) < 0) return r;
    return 0;
  }

  const SdJournalApi& api_;
  const ReaderOptions& options_;
  sd_journal* j_;
  Position position_;
  Filter filter_;
  std::optional<uint64_t> until_;
  // The current mix has about 480 bytes of items per entry, so it still trims every
  // trim_every entries; the budget only bites for bigger entries.
  static constexpr size_t kTrimBytesPerEntry = 512;
  size_t since_trim_ = 0;
  size_t bytes_since_trim_ = 0;
  bool started_ = false;
  bool ended_ = false;
  bool cursor_found_ = true;
  bool faulted_ = false;
  bool past_until_ = false;
  bool watching_ = false;  // wait() has started the inotify watch
  uint64_t usage_at_open_ = 0;
};

}  // namespace

SdJournalReader::SdJournalReader(ReaderOptions options) : options_(std::move(options)) {
  // Process-wide, as journalctl does in main(): a reader of files that another process may
  // truncate must not die of SIGBUS (sigbus.h).
  install_sigbus_handler();
}

Result<std::unique_ptr<Session>> SdJournalReader::open(const Position& position,
                                                       const Filter& filter) {
  std::string error;
  const SdJournalApi* api = sd_journal_api(&error);
  if (!api) return Status::unavailable(error);
  Result<sd_journal*> j = open_journal(*api, options_);
  if (!j) return j.status();
  auto session = std::make_unique<SdSession>(*api, options_, *j, position, filter);
  Status s = add_filter(*api, *j, filter);
  if (!s.is_ok()) return s;
  s = session->seek();
  if (!s.is_ok()) return s;
  return std::unique_ptr<Session>(std::move(session));
}

Status SdJournalReader::check_readable() {
  std::string error;
  const SdJournalApi* api = sd_journal_api(&error);
  if (!api) return Status::unavailable(error);
  Result<sd_journal*> j = open_journal(*api, options_);
  if (!j) return j.status();
  uint64_t usage = 0;
  int r = api->get_usage(*j, &usage);
  if (r >= 0 && usage == 0) {
    api->close(*j);
    return Status::unavailable(
        "no journal file could be opened: none exist, or this user may not read them (add it "
        "to the systemd-journal group)");
  }
  if (r >= 0) r = api->seek_head(*j);
  if (r >= 0) r = api->next(*j);
  api->close(*j);
  if (r < 0) return Status::unavailable("cannot read the journal: " + errno_text(r));
  return Status::ok();
}

}  // namespace infralogs::journal
