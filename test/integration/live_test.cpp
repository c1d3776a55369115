// The live view against the real serve and MariaDB pair: entries committed to the primary
// after a stream opened reach it through the replica, in order, each once, across a reconnect
// with Last-Event-ID; the lag and the freshness say how far behind live the replica is; a
// SIGTERM ends the streams at once.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/mariadb_pair.h"
#include "support/server_process.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

uint64_t now_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Stores one entry for `host` as the collector does: the entry and the checkpoint's move in one
// transaction.
void commit_entry(MariaDbPair& pair, const std::string& host, uint64_t seqnum, uint64_t time,
                  const std::string& message) {
  std::string h = "(SELECT host_id FROM hosts WHERE name = '" + host + "')";
  pair.primary("USE infralogs; INSERT IGNORE INTO hosts (name, labels) VALUES ('" + host +
               "', '{}'); INSERT IGNORE INTO checkpoints (host_id, journal_cursor) SELECT " +
               "host_id, '' FROM hosts WHERE name = '" + host + "'; BEGIN; INSERT INTO entries " +
               "(host_id, seqnum_id, seqnum, realtime_us, monotonic_us, priority, unit, message, "
               "fields) VALUES (" +
               h + ", UNHEX(REPEAT('ab', 16)), " + std::to_string(seqnum) + ", " +
               std::to_string(time) + ", 1, 6, 'app.service', '" + message +
               "', '{}'); UPDATE checkpoints SET journal_cursor = 'c" + std::to_string(seqnum) +
               "', realtime_us = " + std::to_string(time) +
               ", entries = entries + 1, updated_at = NOW(6) WHERE host_id = " + h + "; COMMIT;");
}

struct Event {
  std::string id, name;
  json data;
};

// An /api/live stream read on a thread of its own; events() so far.
class LiveClient {
 public:
  LiveClient(int port, std::string query, std::string last_id = "")
      : thread_([this, port, query, last_id] {
          httplib::Client c("127.0.0.1", port);
          c.set_read_timeout(std::chrono::seconds(60));
          httplib::Headers headers;
          if (!last_id.empty()) headers.emplace("Last-Event-ID", last_id);
          c.Get(("/api/live" + query).c_str(), headers, [this](const char* d, size_t n) {
            std::lock_guard<std::mutex> lock(mu_);
            body_.append(d, n);
            return !closing_;
          });
          std::lock_guard<std::mutex> lock(mu_);
          ended_ = true;
        }) {}
  ~LiveClient() { close(); }
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  bool ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Event> out;
    size_t pos = 0, end;
    while ((end = body_.find("\n\n", pos)) != std::string::npos) {
      Event e;
      std::string block = body_.substr(pos, end - pos);
      pos = end + 2;
      size_t lp = 0;
      while (lp <= block.size()) {
        size_t nl = block.find('\n', lp);
        std::string line = block.substr(lp, nl == std::string::npos ? nl : nl - lp);
        if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
        if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
        if (line.rfind("data: ", 0) == 0) e.data = json::parse(line.substr(6));
        if (nl == std::string::npos) break;
        lp = nl + 1;
      }
      if (!e.name.empty()) out.push_back(std::move(e));
    }
    return out;
  }
  std::vector<Event> entries() {
    std::vector<Event> out;
    for (auto& e : events())
      if (e.name == "entry") out.push_back(std::move(e));
    return out;
  }
  // Waits up to 30 s until `n` entry events have come; the entries.
  std::vector<Event> wait_entries(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (entries().size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return entries();
  }

 private:
  std::mutex mu_;
  std::string body_;
  bool closing_ = false;
  bool ended_ = false;
  std::thread thread_;
};

std::vector<std::string> messages(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data["message"]);
  return out;
}

}  // namespace

TEST_CASE(
    "live: entries committed after the stream opened arrive in order, once, across a "
    "reconnect",
    "[integration][live]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  uint64_t t0 = now_usec();
  commit_entry(pair, "vm-a", 1, t0 - 5000000, "history");
  pair.sync_replica();
  ServerProcess serve("serve", {"--db", db.replica_url, "--db-credentials-file",
                                db.reader_credentials, "--live-poll-ms", "100"});

  auto first = std::make_unique<LiveClient>(serve.port(), "?unit=app");
  // The backlog: the newest entries already stored.
  REQUIRE(messages(first->wait_entries(1)) == std::vector<std::string>{"history"});
  for (uint64_t i = 1; i <= 3; ++i)
    commit_entry(pair, "vm-a", 1 + i, t0 + i, "a" + std::to_string(i));
  auto got = first->wait_entries(4);
  REQUIRE(messages(got) == std::vector<std::string>{"history", "a1", "a2", "a3"});
  std::string last = got.back().id;
  first->close();

  // While no stream is open: more of vm-a, and vm-b, whose entry is older than a3 but is
  // committed later (its collector was slower).
  commit_entry(pair, "vm-a", 5, t0 + 4, "a4");
  commit_entry(pair, "vm-b", 1, t0 + 2, "b1 <script>alert(1)</script>");
  commit_entry(pair, "vm-a", 6, t0 + 5, "a5");
  LiveClient again(serve.port(), "?unit=app", last);
  got = again.wait_entries(3);
  std::vector<std::string> m = messages(got);
  std::sort(m.begin(), m.end());  // one poll may give them together, in time order
  CHECK(m == std::vector<std::string>{"a4", "a5", "b1 <script>alert(1)</script>"});
  commit_entry(pair, "vm-a", 7, t0 + 6, "a6");
  got = again.wait_entries(4);
  REQUIRE(got.size() >= 4);
  CHECK(got[3].data["message"] == "a6");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(again.entries().size() == 4);  // nothing twice
  for (const auto& e : got) CHECK(e.data["host"].is_string());

  bool lag_seen = false;
  for (const auto& e : again.events()) {
    if (e.name != "lag") continue;
    lag_seen = true;
    CHECK(e.data["replica_ok"] == true);
    CHECK(e.data["newest_entry_age_s"].is_number());
    CHECK(e.data["last_write_age_s"].is_number());
  }
  CHECK(lag_seen);

  httplib::Client c("127.0.0.1", serve.port());
  auto fresh = c.Get("/api/freshness");
  REQUIRE(fresh);
  json f = json::parse(fresh->body);
  CHECK(f["last_write_age_s"].is_number());
  CHECK(f["last_write_age_s"].get<double>() < 60);
  CHECK(f["newest_entry_age_s"].is_number());

  // SIGTERM: the open stream ends with "end" at once, not at the server's stop grace.
  auto started = std::chrono::steady_clock::now();
  int code = serve.stop();
  INFO(serve.log().substr(serve.log().size() > 3000 ? serve.log().size() - 3000 : 0));
  CHECK(code == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!again.ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(again.ended());
  auto events = again.events();
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().name == "end");
}
