#include "infralogs/http/agent_routes.h"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "follow.h"
#include "infralogs/core/log.h"
#include "infralogs/http/journal_health.h"
#include "infralogs/http/json_response.h"
#include "infralogs/http/server.h"
#include "infralogs/http/token_health.h"
#include "infralogs/wire/protocol.h"

namespace infralogs::http {
namespace {

constexpr std::string_view kComponent = "agent";

// Counters the handlers update; all live in the registry.
struct AgentMetrics {
  explicit AgentMetrics(MetricsRegistry& r)
      : registry(r),
        entries(
            r.counter("infralogs_agent_entries_served_total", "Journal entries sent to clients.")),
        bytes(r.counter("infralogs_agent_bytes_served_total",
                        "Response body bytes sent for /logs and /entries, after compression.")),
        read_errors(r.counter("infralogs_agent_journal_read_errors_total",
                              "Journal reads that failed: a corrupted entry or file, or a file "
                              "rotated away mid-read.")),
        skipped(r.counter("infralogs_agent_entries_skipped_total",
                          "Entries left out of a response because they could not be read whole.")) {
  }

  Counter& auth_failure(const char* reason) {
    return registry.counter("infralogs_agent_auth_failures_total",
                            "Requests refused for a missing or wrong token, or rate-limited.",
                            {{"reason", reason}});
  }
  Counter& request(const std::string& path, int status) {
    return registry.counter("infralogs_agent_http_requests_total",
                            "HTTP requests by path and status.",
                            {{"path", path}, {"code", std::to_string(status)}});
  }

  MetricsRegistry& registry;
  Counter& entries;
  Counter& bytes;
  Counter& read_errors;
  Counter& skipped;
};

class Gzip {
 public:
  explicit Gzip(int level) {
    // 15 + 16: a gzip wrapper around the deflate stream.
    init_ = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  }
  ~Gzip() {
    if (ok()) deflateEnd(&z_);
  }
  Gzip(const Gzip&) = delete;
  Gzip& operator=(const Gzip&) = delete;

  // False when deflateInit2 failed (no memory, a level outside -1..9, a zlib of another
  // version); compress() must not be called then.
  bool ok() const { return init_ == Z_OK; }
  // zlib's words for why deflateInit2 failed.
  const char* init_error() const { return zError(init_); }

  // `sync`: everything given so far is sent out whole (Z_SYNC_FLUSH), for a follow response
  // whose client must see each entry at once.
  void compress(std::string_view in, bool finish, bool sync, std::string* out) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[32768];
    int r;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      r = deflate(&z_, finish ? Z_FINISH : sync ? Z_SYNC_FLUSH : Z_NO_FLUSH);
      out->append(buf, sizeof buf - z_.avail_out);
    } while (z_.avail_out == 0 || (finish && r != Z_STREAM_END));
  }

 private:
  z_stream z_{};
  int init_ = Z_STREAM_ERROR;
};

enum class Format { kJson, kExport, kShort, kEventStream, kJsonSeq, kVerbose };

struct PageStream {
  std::unique_ptr<journal::Session> session;
  journal::Entry entry;
  journal::FieldSet fields;
  Format format = Format::kJson;
  journal::JsonOrder order = journal::JsonOrder::kJournalctl;  // kJson only
  size_t remaining = 0;
  std::unique_ptr<Gzip> gzip;
  std::string buf, zbuf;
  size_t sent = 0;
  size_t skipped = 0;
  std::string read_error;
  // Follow responses only (follow.h): the wait at the tail, and the follower's slot.
  std::unique_ptr<Follower> follow;
  std::unique_ptr<FollowerSlots::Slot> slot;
  // /logs sends an empty line as its heartbeat; /entries sends nothing (as gatewayd), it only
  // checks that the client is still there.
  bool heartbeat_lines = true;
};

void encode(PageStream& st) {
  switch (st.format) {
    case Format::kJson:
      journal::append_json(st.entry, st.fields, st.order, &st.buf);
      break;
    case Format::kExport:
      journal::append_export(st.entry, st.fields, &st.buf);
      break;
    case Format::kVerbose:
      journal::append_verbose(st.entry, st.fields, &st.buf);
      break;
    case Format::kShort:
      journal::append_short(st.entry, &st.buf);
      break;
    case Format::kEventStream:
      st.buf.append("data: ");
      journal::append_json(st.entry, st.fields, &st.buf);
      st.buf.push_back('\n');
      break;
    case Format::kJsonSeq:
      st.buf.push_back('\x1e');
      journal::append_json(st.entry, st.fields, &st.buf);
      break;
  }
}

// Produces one chunk of the response: entries until chunk_bytes are gathered or the page ends.
bool produce(PageStream& st, AgentMetrics& m, size_t chunk_bytes, httplib::DataSink& sink) {
  st.buf.clear();
  bool finished = false;
  while (st.buf.size() < chunk_bytes) {
    if (st.remaining == 0 || (st.follow && st.follow->ended())) {
      finished = true;
      break;
    }
    Result<bool> more = st.session->advance();
    if (!more) {
      // Nothing past this point can be read in this session: end the page here; the client
      // resumes from the last cursor it got.
      m.read_errors.inc();
      st.read_error = more.status().message();
      finished = true;
      break;
    }
    if (!*more) {
      if (!st.follow) {
        finished = true;
        break;
      }
      // Caught up: what was gathered goes out now, and only an empty buffer waits.
      if (!st.buf.empty()) break;
      Result<Follower::Next> next = st.follow->wait(*st.session);
      if (!next) {
        m.read_errors.inc();
        st.read_error = next.status().message();
        finished = true;
        break;
      }
      if (*next == Follower::Next::kEnd) {
        finished = true;
        break;
      }
      if (*next == Follower::Next::kHeartbeat) {
        if (st.heartbeat_lines) {
          st.buf.push_back('\n');
          break;
        }
        // A zero-byte write would end the response: ask the socket instead.
        st.follow->sent();
        return sink.is_writable();
      }
      continue;
    }
    Status s = st.session->read(&st.entry);
    if (!s.is_ok()) {
      m.read_errors.inc();
      m.skipped.inc();
      ++st.skipped;
      st.read_error = s.message();
      continue;
    }
    encode(st);
    --st.remaining;
    ++st.sent;
  }
  // Close the journal before the last bytes go out: a client that opens a new connection for
  // its next page as soon as this one ends would otherwise overlap two open journals, and the
  // process would briefly hold both sets of mapped pages (5 MiB more peak RSS when paging).
  if (finished) st.session.reset();
  std::string_view out = st.buf;
  if (st.gzip) {
    st.zbuf.clear();
    st.gzip->compress(st.buf, finished, st.follow != nullptr, &st.zbuf);
    out = st.zbuf;
  }
  if (!out.empty()) {
    if (!sink.write(out.data(), out.size())) return false;
    m.bytes.inc(out.size());
    if (st.follow) st.follow->sent();
  }
  if (finished) sink.done();
  return true;
}

bool accepts_gzip(const httplib::Request& req) {
  const std::string& ae = req.get_header_value("Accept-Encoding");
  return ae.find("gzip") != std::string::npos;
}

// Gives `st` a gzip stream when the client accepts gzip. False, with a JSON 500 sent and logged,
// when zlib cannot start one: streaming on would send the client garbage, and a silent
// fallback to identity would hide a broken deployment (it can only be memory or zlib itself).
bool start_gzip(const httplib::Request& req, httplib::Response& res, int level, PageStream& st) {
  if (!accepts_gzip(req)) return true;
  st.gzip = std::make_unique<Gzip>(level);
  if (st.gzip->ok()) return true;
  std::string why = st.gzip->init_error();
  st.gzip.reset();
  log::error(kComponent, "cannot start gzip compression",
             {{"path", req.path}, {"gzip_level", level}, {"error", why}});
  send_json_error(res, 500, "cannot start gzip compression: " + why);
  return false;
}

// Streams `st` as the response body.
void stream_response(httplib::Response& res, std::shared_ptr<PageStream> st, const char* type,
                     AgentMetrics& m, const AgentOptions& options, std::string path) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (st->gzip) res.set_header("Content-Encoding", "gzip");
  size_t chunk = options.chunk_bytes;
  res.set_chunked_content_provider(
      type,
      [st, &m, chunk](size_t, httplib::DataSink& sink) { return produce(*st, m, chunk, sink); },
      [st, &m, path](bool success) {
        m.entries.inc(st->sent);
        if (st->follow) {
          st->session.reset();
          st->slot.reset();
          // A client that stopped reading ends here too, after the write timeout: the send
          // blocked in the kernel, never in a buffer of the agent's.
          if (!success) {
            log::info(kComponent, "follower went away or stopped reading",
                      {{"path", path}, {"sent", st->sent}});
          }
        }
        if (st->skipped || !st->read_error.empty()) {
          log::warn(kComponent, "journal entries could not be read",
                    {{"path", path}, {"skipped", st->skipped}, {"error", st->read_error}});
        }
        if (!success) log::debug(kComponent, "client went away mid-response", {{"path", path}});
      });
}

std::string first_line_of_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "";
}

std::string compact_id(std::string id) {
  std::string out;
  for (char c : id) {
    if (c != '-') out.push_back(c);
  }
  return out;
}

// The /logs output= names.
std::optional<LogsOutput> parse_logs_output(std::string_view name) {
  if (name == "json") return LogsOutput::kJson;
  if (name == "export") return LogsOutput::kExport;
  if (name == "verbose") return LogsOutput::kVerbose;
  return std::nullopt;
}

// The PageStream format and Content-Type of a /logs body.
std::pair<Format, const char*> logs_body_format(LogsOutput output) {
  switch (output) {
    case LogsOutput::kExport:
      return {Format::kExport, wire::kExportType};
    case LogsOutput::kVerbose:
      return {Format::kVerbose, wire::kVerboseType};
    case LogsOutput::kJson:
      break;
  }
  return {Format::kJson, wire::kNdjsonType};
}

}  // namespace

bool parse_logs_query(const std::multimap<std::string, std::string>& params,
                      const AgentOptions& options, LogsQuery* q, ParamError* error) {
  static const std::set<std::string> kSingle = {
      wire::kParamAfter,    wire::kParamLimit, wire::kParamSince,  wire::kParamUntil,
      wire::kParamPriority, wire::kParamBoot,  wire::kParamFollow, wire::kParamWait,
      wire::kParamOutput,   wire::kParamOrder};
  static const std::set<std::string> kRepeatable = {wire::kParamUnit, wire::kParamMatch,
                                                    wire::kParamFields};
  auto fail = [&](const std::string& p, const std::string& msg) {
    *error = {p, msg};
    return false;
  };
  *q = LogsQuery{};
  q->limit = options.default_limit;
  std::optional<uint64_t> since;
  for (const auto& [key, value] : params) {
    // A name that decodes to nothing ("%uDD2f", a lone surrogate: httplib drops it) still gets
    // a refusal that says what was wrong. Found by fuzz_logs_query.
    if (key.empty()) return fail("(empty name)", "a parameter name that decodes to nothing");
    if (kSingle.count(key)) {
      if (params.count(key) > 1) return fail(key, "given more than once");
    } else if (!kRepeatable.count(key)) {
      return fail(key, "unknown parameter");
    }
    if (key == wire::kParamAfter) {
      if (value.empty()) return fail(key, "empty cursor");
      q->position.start = journal::Position::Start::kAfterCursor;
      q->position.cursor = value;
    } else if (key == wire::kParamLimit) {
      size_t n = 0;
      bool digits = !value.empty() && value.size() <= 9 &&
                    value.find_first_not_of("0123456789") == std::string::npos;
      if (digits) n = std::stoul(value);
      if (!digits || n < 1 || n > options.max_limit) {
        return fail(key, "must be an integer from 1 to " + std::to_string(options.max_limit));
      }
      q->limit = n;
      q->limit_given = true;
    } else if (key == wire::kParamFollow) {
      if (value != "true" && value != "false") return fail(key, "must be true or false");
      q->follow = value == "true";
    } else if (key == wire::kParamWait) {
      long long max = options.follow_max_duration.count();
      bool digits = !value.empty() && value.size() <= 9 &&
                    value.find_first_not_of("0123456789") == std::string::npos;
      long long n = digits ? std::stoll(value) : 0;
      if (n < 1 || n > max) {
        return fail(key, "must be a number of seconds from 1 to " + std::to_string(max));
      }
      q->wait = std::chrono::seconds(n);
    } else if (key == wire::kParamSince || key == wire::kParamUntil) {
      Result<uint64_t> t = journal::parse_time(value);
      if (!t) return fail(key, t.status().message());
      if (key == wire::kParamSince)
        since = *t;
      else
        q->filter.until_usec = *t;
    } else if (key == wire::kParamUnit) {
      if (value.empty() || value.find_first_of("*?[") != std::string::npos) {
        return fail(key, "must be a unit name (globs are not supported): '" + value + "'");
      }
      q->filter.units.push_back(journal::complete_unit_name(value));
    } else if (key == wire::kParamPriority) {
      Result<int> p = journal::parse_priority(value);
      if (!p) return fail(key, p.status().message());
      q->filter.max_priority = *p;
    } else if (key == wire::kParamBoot) {
      Result<std::string> id = journal::parse_boot_id(value);
      if (!id) return fail(key, id.status().message());
      q->filter.boot_id = *id;
    } else if (key == wire::kParamMatch) {
      size_t eq = value.find('=');
      if (eq == std::string::npos || !journal::is_valid_field_name(value.substr(0, eq))) {
        return fail(key, "must be FIELD=VALUE with FIELD of A-Z, 0-9 and _: '" + value + "'");
      }
      q->filter.matches.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (key == wire::kParamOutput) {
      std::optional<LogsOutput> output = parse_logs_output(value);
      if (!output) return fail(key, "must be json, export or verbose: '" + value + "'");
      q->output = *output;
    } else if (key == wire::kParamOrder) {
      if (value != wire::kOrderJournal && value != wire::kOrderJournalctl)
        return fail(key, "must be journal or journalctl: '" + value + "'");
      q->order = value == wire::kOrderJournal ? journal::JsonOrder::kJournal
                                              : journal::JsonOrder::kJournalctl;
    } else if (key == wire::kParamFields) {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string name = value.substr(start, comma == std::string::npos ? comma : comma - start);
        if (!journal::is_valid_field_name(name)) {
          return fail(key, "not a field name: '" + name + "'");
        }
        q->fields.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  if (q->wait.count() > 0 && !q->follow) return fail(wire::kParamWait, "needs follow=true");
  if (q->order == journal::JsonOrder::kJournal && q->output != LogsOutput::kJson)
    return fail(wire::kParamOrder, "needs output=json");
  if (since && q->filter.until_usec && *since > *q->filter.until_usec) {
    return fail(wire::kParamSince, "is after until");
  }
  // A cursor says exactly where to resume; since only chooses the first page's start.
  if (since && q->position.start != journal::Position::Start::kAfterCursor) {
    q->position.start = journal::Position::Start::kRealtime;
    q->position.realtime_usec = *since;
  }
  return true;
}

namespace {

// A follower's slot, or nullptr with the 503 sent when --max-followers are being served.
std::unique_ptr<FollowerSlots::Slot> take_follower_slot(FollowerSlots& followers,
                                                        httplib::Response& res) {
  std::unique_ptr<FollowerSlots::Slot> slot = followers.acquire();
  if (slot) return slot;
  res.set_header("Retry-After", "5");
  send_json(res, 503,
            {{"error", "too many followers (" + std::to_string(followers.max()) + "); retry later"},
             {"reason", wire::kReasonTooManyFollowers}});
  log::info(kComponent, "follow refused: too many followers", {{"max", followers.max()}});
  return nullptr;
}

// Makes `st` a follow response: it waits at the tail for `wait` (0: --follow-max-duration).
void start_follow(httplib::Response& res, const AgentOptions& options, std::chrono::seconds wait,
                  std::unique_ptr<FollowerSlots::Slot> slot, PageStream& st) {
  auto heartbeat = std::chrono::duration_cast<std::chrono::seconds>(options.follow_heartbeat);
  res.set_header(wire::kHeaderFollow,
                 "heartbeat=" + std::to_string(std::max<long long>(heartbeat.count(), 1)));
  std::chrono::milliseconds duration =
      wait.count() > 0 ? std::chrono::milliseconds(wait) : options.follow_max_duration;
  st.follow = std::make_unique<Follower>(options.follow_heartbeat, duration, options.stop);
  st.slot = std::move(slot);
}

void handle_logs(const httplib::Request& req, httplib::Response& res,
                 journal::JournalReader& reader, AgentMetrics& m, const AgentOptions& options,
                 FollowerSlots& followers) {
  LogsQuery q;
  ParamError perr;
  if (!parse_logs_query(req.params, options, &q, &perr)) {
    send_json_error(res, 400, perr.parameter + ": " + perr.message, perr.parameter);
    return;
  }
  std::unique_ptr<FollowerSlots::Slot> slot;
  if (q.follow && !(slot = take_follower_slot(followers, res))) return;
  Result<std::unique_ptr<journal::Session>> session = reader.open(q.position, q.filter);
  if (!session) {
    const Status& s = session.status();
    std::string param = s.code() == StatusCode::kInvalidArgument &&
                                q.position.start == journal::Position::Start::kAfterCursor
                            ? wire::kParamAfter
                            : "";
    send_json_error(res, http_status(s), s.message(), param);
    return;
  }
  // Count ahead (cheap: no data is read) so the response can say whether more is pending
  // before it streams, then go back to the start.
  size_t ahead = 0;
  while (ahead <= q.limit) {
    Result<bool> r = (*session)->advance();
    if (!r || !*r) break;
    ++ahead;
  }
  bool cursor_found = (*session)->cursor_found();
  Status s = (*session)->rewind();
  if (!s.is_ok()) {
    send_json_error(res, http_status(s), s.message());
    return;
  }
  auto st = std::make_shared<PageStream>();
  if (!start_gzip(req, res, options.gzip_level, *st)) return;
  res.set_header(wire::kHeaderProtocol, std::to_string(wire::kProtocolVersion));
  res.set_header(wire::kHeaderMore, ahead > q.limit && !q.follow ? "true" : "false");
  if (q.position.start == journal::Position::Start::kAfterCursor) {
    res.set_header(wire::kHeaderCursorFound, cursor_found ? "true" : "false");
  }
  st->session = std::move(*session);
  st->fields = std::move(q.fields);
  st->remaining = q.limit;
  const auto [format, type] = logs_body_format(q.output);
  st->format = format;
  st->order = q.order;
  if (q.follow) {
    if (!q.limit_given) st->remaining = std::numeric_limits<size_t>::max();
    start_follow(res, options, q.wait, std::move(slot), *st);
  }
  stream_response(res, st, type, m, options, req.path);
}

// Parses gatewayd's "entries=CURSOR[[:NUM_SKIP]:NUM_ENTRIES]" like request_parse_range() in
// src/journal-remote/journal-gatewayd.c.
bool parse_entries_range(std::string_view range, journal::Position* pos, size_t* count) {
  constexpr std::string_view kPrefix = "entries=";
  if (range.substr(0, kPrefix.size()) != kPrefix) return false;
  range.remove_prefix(kPrefix.size());
  while (!range.empty() && std::isspace(static_cast<unsigned char>(range.front())))
    range.remove_prefix(1);
  std::string_view cursor = range;
  size_t colon = range.find(':');
  if (colon != std::string_view::npos) {
    cursor = range.substr(0, colon);
    std::string_view rest = range.substr(colon + 1);
    size_t colon2 = rest.find(':');
    if (colon2 != std::string_view::npos) {
      std::string skip(rest.substr(0, colon2));
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(skip.c_str(), &end, 10);
      if (skip.empty() || *end || errno) return false;
      pos->skip = v;
      rest = rest.substr(colon2 + 1);
    }
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
      rest.remove_prefix(1);
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back())))
      rest.remove_suffix(1);
    if (!rest.empty()) {
      std::string n(rest);
      char* end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(n.c_str(), &end, 10);
      if (*end || errno || v == 0 || n[0] == '-') return false;
      *count = static_cast<size_t>(v);
    }
  }
  size_t ws = cursor.find_first_of(" \t\r\n");
  if (ws != std::string_view::npos) cursor = cursor.substr(0, ws);
  if (!cursor.empty()) {
    pos->start = journal::Position::Start::kCursor;
    pos->cursor = std::string(cursor);
  } else {
    pos->start = pos->skip < 0 ? journal::Position::Start::kTail : journal::Position::Start::kHead;
  }
  return true;
}

void handle_entries(const httplib::Request& req, httplib::Response& res,
                    journal::JournalReader& reader, AgentMetrics& m, const AgentOptions& options,
                    FollowerSlots& followers) {
  journal::Position pos;
  size_t count = std::numeric_limits<size_t>::max();
  std::unique_ptr<FollowerSlots::Slot> slot;
  if (req.has_header(kJournalRangeHeader) &&
      !parse_entries_range(req.get_header_value(kJournalRangeHeader), &pos, &count)) {
    send_json_error(res, 400, "Failed to parse Range header.", "Range");
    return;
  }
  journal::Filter filter;
  bool follow = false;
  for (const auto& [key, value] : req.params) {
    if (key == "follow") {
      // gatewayd: "follow" alone, or a boolean as systemd's parse_boolean() reads one.
      static const std::set<std::string> kTrue = {"", "1", "yes", "y", "true", "t", "on"};
      static const std::set<std::string> kFalse = {"0", "no", "n", "false", "f", "off"};
      if (!kTrue.count(value) && !kFalse.count(value)) {
        send_json_error(res, 400, "Failed to parse URL arguments: follow: not a boolean", key);
        return;
      }
      follow = kTrue.count(value) > 0;
      continue;
    }
    if (key == "discrete") {
      send_json_error(res, 400, key + " is not supported by this agent; page with Range instead",
                      key);
      return;
    }
    if (key == "boot") {
      filter.matches.emplace_back("_BOOT_ID", compact_id(first_line_of_file(options.boot_id_file)));
      continue;
    }
    if (!journal::is_valid_field_name(key)) {
      send_json_error(res, 400, "Failed to parse URL arguments: not a field name: '" + key + "'",
                      key);
      return;
    }
    filter.matches.emplace_back(key, value);
  }
  if (follow && !(slot = take_follower_slot(followers, res))) return;
  Result<std::unique_ptr<journal::Session>> session = reader.open(pos, filter);
  if (!session) {
    const Status& s = session.status();
    send_json_error(res, http_status(s),
                    s.code() == StatusCode::kInvalidArgument
                        ? "Failed to seek in journal: " + s.message()
                        : s.message(),
                    s.code() == StatusCode::kInvalidArgument ? "Range" : "");
    return;
  }
  // gatewayd chooses the format by an exact match of the whole Accept header.
  static const std::pair<const char*, Format> kTypes[] = {
      {"application/json", Format::kJson},
      {"application/vnd.fdo.journal", Format::kExport},
      {"text/event-stream", Format::kEventStream},
      {"application/json-seq", Format::kJsonSeq},
  };
  const char* type = "text/plain";
  auto st = std::make_shared<PageStream>();
  if (!start_gzip(req, res, options.gzip_level, *st)) return;
  st->format = Format::kShort;
  const std::string& accept = req.get_header_value("Accept");
  for (const auto& [name, format] : kTypes) {
    if (accept == name) {
      type = name;
      st->format = format;
    }
  }
  st->session = std::move(*session);
  st->remaining = count;
  if (follow) {
    start_follow(res, options, std::chrono::seconds(0), std::move(slot), *st);
    st->heartbeat_lines = false;
  }
  stream_response(res, st, type, m, options, req.path);
}

void handle_machine(httplib::Response& res, const AgentOptions& options) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  send_json(res, 200,
            {{"name", options.name.empty() ? std::string(host) : options.name},
             {"machine_id", compact_id(first_line_of_file(options.machine_id_file))},
             {"boot_id", compact_id(first_line_of_file(options.boot_id_file))},
             {"hostname", host},
             {"os_pretty_name", os_pretty_name()}});
}

void update_process_metrics(MetricsRegistry& r) {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        .set(static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
}

std::string path_label(const std::string& path) {
  for (const char* known : {wire::kLogsPath, wire::kEntriesPath, wire::kHealthPath,
                            wire::kMetricsPath, wire::kMachinePath}) {
    if (path == known) return path;
  }
  return "other";
}

}  // namespace

void attach_agent_routes(httplib::Server& server, journal::JournalReader& reader, TokenFile& tokens,
                         AuthRateLimiter& limiter, MetricsRegistry& metrics,
                         const AgentOptions& options) {
  auto m = std::make_shared<AgentMetrics>(metrics);
  AgentMetrics& am = *m;
  // Owned by the routes (the lambdas below keep it alive as long as the server holds them).
  auto followers = std::make_shared<FollowerSlots>(options.max_followers, metrics);

  server.set_pre_routing_handler(
      [&tokens, &limiter, m](const httplib::Request& req, httplib::Response& res) {
        if (req.path == wire::kHealthPath) return httplib::Server::HandlerResponse::Unhandled;
        long retry_after = 0;
        if (!limiter.allowed(req.remote_addr, &retry_after)) {
          m->auth_failure("rate_limited").inc();
          res.set_header("Retry-After", std::to_string(retry_after));
          send_json_error(res, 429, "too many failed authentication attempts; retry later");
          return httplib::Server::HandlerResponse::Handled;
        }
        std::optional<std::string> token =
            token_from_authorization(req.get_header_value("Authorization"));
        if (token && tokens.verify(*token)) return httplib::Server::HandlerResponse::Unhandled;
        limiter.record_failure(req.remote_addr);
        const char* reason = token ? "invalid" : "missing";
        m->auth_failure(reason).inc();
        log::warn(kComponent, "authentication failed",
                  {{"remote", req.remote_addr}, {"path", req.path}, {"reason", reason}});
        res.set_header("WWW-Authenticate", "Basic realm=\"infralogs\", Bearer realm=\"infralogs\"");
        send_json_error(res, 401, "unauthorized: a valid token is required");
        return httplib::Server::HandlerResponse::Handled;
      });

  server.Get(wire::kLogsPath, [&reader, &am, options, followers](const httplib::Request& req,
                                                                 httplib::Response& res) {
    handle_logs(req, res, reader, am, options, *followers);
  });
  server.Get(wire::kEntriesPath, [&reader, &am, options, followers](const httplib::Request& req,
                                                                    httplib::Response& res) {
    handle_entries(req, res, reader, am, options, *followers);
  });
  server.Get(wire::kMachinePath, [options](const httplib::Request&, httplib::Response& res) {
    handle_machine(res, options);
  });
  server.Get(
      wire::kHealthPath, [&reader, &tokens](const httplib::Request&, httplib::Response& res) {
        // The tokens' state is shown but does not change the status: an agent serving with the last
        // good tokens is healthy for its collectors (token_health.h).
        nlohmann::json tokens_state = token_health_json(tokens.status());
        Status s = reader.check_readable();
        nlohmann::json body = {{"status", "ok"}, {"tokens", tokens_state}};
        if (!s.is_ok())
          body = {{"status", "unavailable"}, {"reason", s.message()}, {"tokens", tokens_state}};
        body["journal"] = journal_health_json(reader);  // stall report (journal_health.h)
        send_json(res, s.is_ok() ? 200 : 503, body);
      });
  server.Get(wire::kMetricsPath, [&metrics](const httplib::Request&, httplib::Response& res) {
    update_process_metrics(metrics);
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });

  install_json_error_handlers(server, kComponent);
  server.set_logger([m](const httplib::Request& req, const httplib::Response& res) {
    m->request(path_label(req.path), res.status).inc();
    log::debug(kComponent, "request",
               {{"remote", req.remote_addr},
                {"method", req.method},
                {"path", req.path},
                {"status", res.status}});
  });
}

}  // namespace infralogs::http
