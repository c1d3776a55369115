// A frozen database (SIGSTOP: its sockets stay open, nothing answers) against the real serve and
// collect (issue 11, item 8): bounded answers, one log line naming the server, recovery.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "support/collected.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"

using namespace infralogs::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Answer {
  int status = -1;  // -1: no answer
  long ms = 0;
};

Answer get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60);
  auto start = Clock::now();
  auto res = c.Get(path.c_str());
  Answer a;
  a.ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  if (res) a.status = res->status;
  return a;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a frozen replica makes serve answer 503 in bounded time, logged once, then recovers",
          "[integration][frozen]") {
  // Before: no read deadline short enough, 8 requests filled the workers, /healthz answered
  // after 34 s and nothing was logged.
  Collected data(FleetOptions{.hosts = 1, .entries = 20, .hostile = false});
  ServerProcess serve("serve", {"--db", data.db.replica_url, "--db-credentials-file",
                                data.db.reader_credentials, "--db-timeout", "2"});
  REQUIRE(get(serve.port(), "/api/hosts").status == 200);
  REQUIRE(get(serve.port(), "/healthz").status == 200);

  data.pair.pause_replica();
  // More requests than --threads (8), on pooled connections and new ones.
  std::vector<std::future<Answer>> answers;
  for (int i = 0; i < 12; ++i) {
    answers.push_back(
        std::async(std::launch::async, [&] { return get(serve.port(), "/api/hosts"); }));
  }
  Answer health = get(serve.port(), "/healthz");
  for (auto& f : answers) {
    Answer a = f.get();
    CHECK(a.status == 503);
    // --db-timeout on the pooled connection, then serve's 3 s connect timeout on a new one.
    CHECK(a.ms < 8000);
  }
  CHECK(health.status == 503);
  CHECK(health.ms < 8000);
  std::string port = std::to_string(data.pair.replica_port());
  INFO(serve.log());
  CHECK(count_of(serve.log(), "the replica does not answer") == 1);
  CHECK(serve.log().find("127.0.0.1:" + port) != std::string::npos);
  CHECK(serve.log().find("read-pw") == std::string::npos);

  data.pair.resume_replica();
  Answer back;
  for (int i = 0; i < 20 && back.status != 200; ++i) back = get(serve.port(), "/healthz");
  CHECK(back.status == 200);
  CHECK(get(serve.port(), "/api/hosts").status == 200);
  CHECK(count_of(serve.log(), "the replica answers again") == 1);
  CHECK(serve.stop() == 0);
}

TEST_CASE("a frozen primary fails the collector clearly, and the next run stores it exactly once",
          "[integration][frozen]") {
  Collected data(FleetOptions{.hosts = 1, .entries = 20, .hostile = false});
  const std::string file = data.fleet.files()[0];
  // 30 entries the first collection has not seen.
  generate_journal(file, {"--hosts", "1", "--entries", "30", "--skip", "20"});
  size_t want = journalctl_json({"--file", file}).size();
  REQUIRE(want == 50);

  data.pair.pause_primary();
  auto start = Clock::now();
  CommandResult frozen = run(collect_command(data.fleet, data.db, {"--db-timeout", "2"}));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  data.pair.resume_primary();
  INFO("collect with the primary frozen (" << ms << " ms): " << frozen.err);
  CHECK(frozen.exit_code != 0);
  CHECK(ms < 30000);
  CHECK(frozen.err.find("127.0.0.1") != std::string::npos);
  CHECK(frozen.err.find("collect-pw") == std::string::npos);

  CommandResult later = run(collect_command(data.fleet, data.db));
  INFO("collect after SIGCONT: " << later.err);
  REQUIRE(later.exit_code == 0);
  Rows stored = data.pair.primary(
      "SELECT COUNT(*), COUNT(DISTINCT seqnum_id, seqnum) FROM infralogs.entries");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0][0] == std::to_string(want));
  CHECK(stored[0][1] == std::to_string(want));
}
