// Following a credential rotation without failing a request: MariaDbLogStore on the primary and
// MariaDbLogReader on the replica of the real MariaDB pair switch from user A to user B
// (RotationListener verify + switched) while threads append and read in a loop. No operation
// fails, and afterwards no session of A is left on either server, so A can be dropped.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include "fakes/fake_credential_source.h"
#include "infralogs/storage/mariadb_log_reader.h"
#include "infralogs/storage/mariadb_log_store.h"
#include "support/binaries.h"
#include "support/files.h"
#include "support/mariadb_pair.h"

using namespace infralogs;
using namespace std::chrono_literals;
using infralogs::test::MariaDbPair;

namespace {

// A writer and a reader account named `prefix`_w / `prefix`_r with scripts/sql/grants.sql and
// the passwords FakeCredentialSource serves ("pw-<user>").
void create_users(MariaDbPair& pair, const std::string& db, const std::string& prefix) {
  std::string w = prefix + "_w", r = prefix + "_r";
  std::string writer = "'" + w + "'@'127.0.0.1'", reader = "'" + r + "'@'127.0.0.1'";
  pair.primary("CREATE USER " + writer + " IDENTIFIED BY 'pw-" + w + "'; CREATE USER " + reader +
               " IDENTIFIED BY 'pw-" + r + "'");
  std::string grants = test::read_file(test::source_dir() + "/scripts/sql/grants.sql");
  grants = std::regex_replace(grants, std::regex("@DB@"), db);
  grants = std::regex_replace(grants, std::regex("@COLLECTOR@"), writer);
  grants = std::regex_replace(grants, std::regex("@READER@"), reader);
  pair.primary(grants);
}

int sessions_of(MariaDbPair& pair, bool replica, const std::string& user) {
  std::string sql =
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'";
  return std::stoi((replica ? pair.replica(sql) : pair.primary(sql))[0][0]);
}

LogEntry entry(uint64_t n) {
  LogEntry e;
  e.cursor = "s=rot;i=" + std::to_string(n);
  e.seqnum_id = std::string(16, 'r');
  e.seqnum = n;
  e.realtime_usec = 1764547200000000ULL + n * 1000;  // 2025-12-01, one day partition
  e.message = "entry " + std::to_string(n);
  e.fields_json = "{}";
  return e;
}

}  // namespace

TEST_CASE("rotation: store and reader switch from user A to B under load with 0 failures",
          "[integration][rotation]") {
  MariaDbPair pair;
  MariaDbPair::Database db = pair.create_database("rot");
  create_users(pair, db.name, "rot_a");
  pair.sync_replica();
  fakes::FakeCredentialSource writer_source, reader_source;
  writer_source.set_user("rot_a_w");
  reader_source.set_user("rot_a_r");
  storage::MariaDbConnectionOptions primary, replica;
  primary.port = pair.primary_port();
  primary.database = db.name;
  replica.port = pair.replica_port();
  replica.database = db.name;
  storage::MariaDbLogStore store(primary, writer_source);
  storage::MariaDbLogReader reader(replica, reader_source);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, appends{0}, reads{0};
  Mutex errors_mu;
  std::vector<std::string> errors;
  auto failed = [&](const Status& s) {
    ++failures;
    MutexLock lock(errors_mu);
    errors.push_back(s.to_string());
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      auto host = store.host_id("rot-host-" + std::to_string(w), "{}");
      if (!host) return failed(host.status());
      std::string cursor;
      for (uint64_t n = 1; !stop; ++n) {
        Batch b;
        for (uint64_t i = 0; i < 20; ++i) b.entries.push_back(entry(n * 100 + i));
        Status s = store.append(*host, cursor, b, std::nullopt);
        if (!s.is_ok()) return failed(s);
        cursor = b.entries.back().cursor;
        ++appends;
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      storage::TimeWindow all{0, UINT64_MAX / 2};
      while (!stop) {
        auto hosts = reader.hosts(all);
        if (!hosts) return failed(hosts.status());
        auto beat = reader.newest_hour_usec();
        if (!beat) return failed(beat.status());
        ++reads;
      }
    });
  }
  std::this_thread::sleep_for(500ms);

  // B is made on the primary; the reader verifies it on the replica until it has arrived.
  create_users(pair, db.name, "rot_b");
  Credentials writer_b{"rot_b_w", "pw-rot_b_w"}, reader_b{"rot_b_r", "pw-rot_b_r"};
  CHECK(store.verify(writer_b).is_ok());
  CHECK(store.verify({"rot_b_w", "wrong"}).code() == StatusCode::kPermissionDenied);
  Status verified;
  for (int i = 0; i < 100; ++i) {
    verified = reader.verify(reader_b);
    if (verified.code() != StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(verified.is_ok());
  // A wrong password on the replica is "ask again later", never "give up" there.
  CHECK(reader.verify({"rot_b_r", "wrong"}).code() == StatusCode::kUnavailable);

  writer_source.set_user("rot_b_w");
  reader_source.set_user("rot_b_r");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  store.switched(2, deadline);
  reader.switched(2, deadline);
  std::this_thread::sleep_for(500ms);  // the load goes on with B
  stop = true;
  for (auto& t : threads) t.join();
  {
    MutexLock lock(errors_mu);
    INFO("first error: " << (errors.empty() ? "" : errors.front()));
    CHECK(failures == 0);
  }
  CHECK(appends > 0);
  CHECK(reads > 0);

  // Only B's connections are left, all of generation 2.
  CHECK(sessions_of(pair, false, "rot_a_w") == 0);
  CHECK(sessions_of(pair, true, "rot_a_r") == 0);
  CHECK(sessions_of(pair, false, "rot_b_w") > 0);
  CHECK(sessions_of(pair, true, "rot_b_r") > 0);
  storage::CredentialStatus ws = store.credential_status();
  CHECK(ws.generation == 2);
  CHECK(ws.connections.size() == 1);
  auto rs = reader.credentials();
  REQUIRE(rs.has_value());
  CHECK(rs->connections.size() == 1);
  CHECK(rs->connections[0].generation == 2);
  CHECK(rs->connections[0].in_use == 0);

  // A can go: nothing uses it any more.
  pair.primary("DROP USER 'rot_a_w'@'127.0.0.1', 'rot_a_r'@'127.0.0.1'");
  CHECK(store.heartbeat("rotation-test").is_ok());
  CHECK(reader.ping().is_ok());
}

TEST_CASE("rotation: a refused login refetches the credentials once before it is reported",
          "[integration][rotation]") {
  MariaDbPair pair;
  MariaDbPair::Database db = pair.create_database("rot2");
  create_users(pair, db.name, "rot2_a");
  pair.sync_replica();
  fakes::FakeCredentialSource source;
  source.set_user("rot2_a_r");
  storage::MariaDbConnectionOptions replica;
  replica.port = pair.replica_port();
  replica.database = db.name;
  storage::MariaDbLogReader reader(replica, source);
  REQUIRE(reader.ping().is_ok());
  // The password changes under the reader and its idle connection is gone: the next login is
  // refused, the source is asked exactly once more, and the retry with what it gives (still
  // the old password here) is refused too, so the refusal is reported.
  pair.primary("ALTER USER 'rot2_a_r'@'127.0.0.1' IDENTIFIED BY 'other'");
  pair.sync_replica();
  reader.switched(2, std::chrono::steady_clock::now());  // drops the idle connection
  Status s = reader.ping();
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(source.refreshes() == 1);
  CHECK(s.message().find("other") == std::string::npos);
  auto st = reader.credentials();
  REQUIRE(st.has_value());
  CHECK(st->auth_retries == 1);
}
