// The collector's credential report (issue 10): collect, as the least-privilege collector
// account of scripts/sql/grants.sql, writes its credential_reports row with its heartbeat, and
// serve (the reader account, on the replica) shows it in /api/credentials next to its own.

#include <httplib.h>

#include <catch2/catch.hpp>

#include "support/collected.h"
#include "support/files.h"
#include "support/server_process.h"

using namespace infralogs::test;
using nlohmann::json;

TEST_CASE("collect's credential report reaches serve's /api/credentials through the replica",
          "[integration]") {
  Collected data;
  json collector = json::parse(read_file(data.db.collector_credentials));
  json reader = json::parse(read_file(data.db.reader_credentials));
  auto rows = data.pair.replica("SELECT mode, role, source, username, reachable FROM " +
                                data.db.name + ".credential_reports");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == std::vector<std::string>{"collect", "writer", "file",
                                            collector["username"].get<std::string>(), "1"});

  ServerProcess serve(
      "serve", {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials});
  httplib::Client c("127.0.0.1", serve.port());
  auto r = c.Get("/api/credentials");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  REQUIRE(j["modes"].size() == 2);
  CHECK(j["modes"][0]["mode"] == "serve");
  CHECK(j["modes"][0]["user"] == reader["username"]);
  CHECK(j["modes"][0]["source"] == "file");
  CHECK(j["modes"][0]["expires"].is_null());
  CHECK(j["modes"][1]["mode"] == "collect");
  CHECK(j["modes"][1]["role"] == "writer");
  CHECK(j["modes"][1]["user"] == collector["username"]);
  CHECK(j["modes"][1]["stale"] == false);
  CHECK(j["modes"][1]["reported"].get<uint64_t>() > 0);
  CHECK(j["warnings"] == json::array());
  for (const json& pw : {collector["password"], reader["password"]})
    CHECK(r->body.find(pw.get<std::string>()) == std::string::npos);
}
