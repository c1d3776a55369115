#include "infralogs/http/agent_routes.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fakes/fake_journal_reader.h"
#include "infralogs/http/server.h"
#include "support/temp_dir.h"

using namespace infralogs;
using nlohmann::json;

namespace {

std::multimap<std::string, std::string> params(
    std::initializer_list<std::pair<const std::string, std::string>> p) {
  return p;
}

// A FakeJournalReader that also records the cursor of every open(), so a test sees exactly what
// reached the reader.
struct RecordingReader : test::FakeJournalReader {
  Result<std::unique_ptr<journal::Session>> open(const journal::Position& position,
                                                 const journal::Filter& filter) override {
    cursors.push_back(position.cursor);
    filters.push_back(filter);
    return FakeJournalReader::open(position, filter);
  }
  std::vector<std::string> cursors;
  std::vector<journal::Filter> filters;
};

// An agent on a loopback port, serving a RecordingReader.
struct TestAgent {
  explicit TestAgent(size_t n_entries, size_t auth_fail_limit = 100, int gzip_level = 1)
      : limiter(auth_fail_limit, std::chrono::seconds(60)) {
    for (size_t i = 0; i < n_entries; ++i) {
      reader.entries.push_back(
          {1000 + i, {"MESSAGE=entry " + std::to_string(i), "N=" + std::to_string(i % 3)}});
    }
    tokens = std::move(*http::TokenFile::load(dir.write("tokens", "secret-token\n")));
    server = std::move(*http::Server::create({}));
    http::AgentOptions options;
    options.default_limit = 4;
    options.max_limit = 50;
    options.chunk_bytes = 64;  // many chunks, to exercise streaming
    options.gzip_level = gzip_level;
    http::attach_agent_routes(*server, reader, *tokens, limiter, metrics, options);
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestAgent() {
    server->stop();
    thread.join();
  }
  httplib::Client client(bool auth = true) {
    httplib::Client c("127.0.0.1", port);
    if (auth) c.set_bearer_token_auth("secret-token");
    return c;
  }

  RecordingReader reader;
  test::TempDir dir;
  std::unique_ptr<http::TokenFile> tokens;
  http::AuthRateLimiter limiter;
  MetricsRegistry metrics;
  std::unique_ptr<http::Server> server;
  int port = 0;
  std::thread thread;
};

std::vector<json> lines(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("logs parameters are parsed and bad ones name the parameter", "[http]") {
  http::AgentOptions options;
  options.max_limit = 100;
  http::LogsQuery q;
  http::ParamError err;
  REQUIRE(http::parse_logs_query(params({{"after", "c1"},
                                         {"limit", "7"},
                                         {"unit", "nginx"},
                                         {"priority", "warning"},
                                         {"match", "_PID=12"},
                                         {"fields", "MESSAGE,_PID"},
                                         {"since", "@10"}}),
                                 options, &q, &err));
  CHECK(q.limit == 7);
  CHECK(q.position.start == journal::Position::Start::kAfterCursor);
  CHECK(q.filter.units == std::vector<std::string>{"nginx.service"});
  CHECK(*q.filter.max_priority == 4);
  CHECK(q.filter.matches.size() == 1);
  CHECK(q.fields == std::vector<std::string>{"MESSAGE", "_PID"});

  auto bad = [&](std::multimap<std::string, std::string> p) {
    REQUIRE_FALSE(http::parse_logs_query(p, options, &q, &err));
    return err.parameter;
  };
  CHECK(bad(params({{"limit", "0"}})) == "limit");
  CHECK(bad(params({{"limit", "101"}})) == "limit");
  CHECK(bad(params({{"limit", "ten"}})) == "limit");
  CHECK(bad(params({{"priority", "loud"}})) == "priority");
  CHECK(bad(params({{"bogus", "1"}})) == "bogus");
  CHECK(bad(params({{"", "1"}})) == "(empty name)");
  CHECK(bad(params({{"after", "a"}, {"after", "b"}})) == "after");
  CHECK(bad(params({{"after", ""}})) == "after");
  CHECK(bad(params({{"match", "lower=x"}})) == "match");
  CHECK(bad(params({{"match", "NOEQUALS"}})) == "match");
  CHECK(bad(params({{"fields", "MESSAGE,,X"}})) == "fields");
  CHECK(bad(params({{"since", "tomorrow"}})) == "since");
  CHECK(bad(params({{"since", "@20"}, {"until", "@10"}})) == "since");
  CHECK(bad(params({{"boot", "xyz"}})) == "boot");
  CHECK(bad(params({{"unit", "ng*"}})) == "unit");
  CHECK(bad(params({{"output", "short"}})) == "output");
  CHECK(bad(params({{"output", ""}})) == "output");
  CHECK(bad(params({{"output", "json"}, {"output", "json"}})) == "output");
  CHECK(bad(params({{"order", "sorted"}})) == "order");
  CHECK(bad(params({{"order", "journal"}, {"output", "export"}})) == "order");
  CHECK(bad(params({{"order", "journal"}, {"order", "journal"}})) == "order");

  REQUIRE(http::parse_logs_query(params({}), options, &q, &err));
  CHECK(q.output == http::LogsOutput::kJson);
  const std::pair<const char*, http::LogsOutput> outputs[] = {
      {"json", http::LogsOutput::kJson},
      {"export", http::LogsOutput::kExport},
      {"verbose", http::LogsOutput::kVerbose}};
  for (const auto& [name, output] : outputs) {
    REQUIRE(http::parse_logs_query(params({{"output", name}}), options, &q, &err));
    CHECK(q.output == output);
  }
  CHECK(q.order == journal::JsonOrder::kJournalctl);
  REQUIRE(http::parse_logs_query(params({{"order", "journal"}}), options, &q, &err));
  CHECK(q.order == journal::JsonOrder::kJournal);
  REQUIRE(http::parse_logs_query(params({{"order", "journalctl"}, {"output", "verbose"}}), options,
                                 &q, &err));
  CHECK(q.order == journal::JsonOrder::kJournalctl);
}

TEST_CASE("logs output= writes json, export or verbose with its Content-Type", "[http]") {
  TestAgent agent(5);
  auto c = agent.client();
  auto res = c.Get("/logs?output=verbose&limit=2&match=N%3D1");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain");
  CHECK(res->get_header_value("Infralogs-Protocol") == "1");
  // One header line per entry, then its fields indented; the matches and limit apply.
  CHECK(res->body.rfind("Thu 1970-01-01 00:00:00.001001 UTC [", 0) == 0);
  CHECK(res->body.find("]\n    MESSAGE=entry 1\n    N=1\n") != std::string::npos);
  CHECK(res->body.find("    MESSAGE=entry 4\n    N=1\n") != std::string::npos);
  CHECK(res->body.find("entry 0") == std::string::npos);

  res = c.Get("/logs?output=export&limit=1&fields=N");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/vnd.fdo.journal");
  CHECK(res->body.rfind("__CURSOR=", 0) == 0);
  CHECK(res->body.find("\n__REALTIME_TIMESTAMP=1000\n") != std::string::npos);
  CHECK(res->body.find("\nN=0\n\n") != std::string::npos);
  CHECK(res->body.find("MESSAGE") == std::string::npos);  // fields= applies to export too

  res = c.Get("/logs?output=json&limit=1");
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Type") == "application/x-ndjson");
  CHECK(lines(res->body).size() == 1);

  res = c.Get("/logs?output=xml");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "output");
}

TEST_CASE("logs pages through every entry exactly once and says when more is pending", "[http]") {
  TestAgent agent(10);
  auto c = agent.client();
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 20; ++page) {
    std::string url = "/logs?limit=3" + (after.empty() ? "" : "&after=" + after);
    auto res = c.Get(url.c_str());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Infralogs-Protocol") == "1");
    auto entries = lines(res->body);
    for (const auto& e : entries) seen.push_back(e["MESSAGE"]);
    bool more = res->get_header_value("Infralogs-More") == "true";
    CHECK(more == (seen.size() < 10));
    if (entries.empty()) break;
    after = entries.back()["__CURSOR"];
  }
  REQUIRE(seen.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(seen[i] == "entry " + std::to_string(i));
}

TEST_CASE("logs uses the default limit and applies matches", "[http]") {
  TestAgent agent(10);
  auto c = agent.client();
  auto res = c.Get("/logs");
  REQUIRE(res);
  CHECK(lines(res->body).size() == 4);
  res = c.Get("/logs?match=N%3D1&limit=50");
  REQUIRE(res);
  auto entries = lines(res->body);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0]["MESSAGE"] == "entry 1");
  CHECK(res->get_header_value("Infralogs-More") == "false");
}

TEST_CASE("logs skips an entry it cannot read and counts it", "[http]") {
  TestAgent agent(5);
  agent.reader.entries[2].corrupt = true;
  auto res = agent.client().Get("/logs?limit=50");
  REQUIRE(res);
  CHECK(lines(res->body).size() == 4);
  std::string metrics = agent.metrics.render();
  CHECK(metrics.find("infralogs_agent_entries_skipped_total 1") != std::string::npos);
}

TEST_CASE("logs answers bad parameters with 400 and a JSON error", "[http]") {
  TestAgent agent(3);
  auto c = agent.client();
  auto res = c.Get("/logs?limit=0");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "limit");
  res = c.Get("/logs?after=garbage");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "after");
}

TEST_CASE("a match's value may contain '=': it is split at the first '='", "[http]") {
  // httplib kept only what follows the last '=': "match=N=1" arrived as match "1" and was
  // refused as "must be FIELD=VALUE".
  TestAgent agent(10);
  agent.reader.entries[4].items.push_back("EQ=a=b");
  auto c = agent.client();
  auto res = c.Get("/logs?match=N=1&limit=50");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto entries = lines(res->body);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0]["MESSAGE"] == "entry 1");
  res = c.Get("/logs?match=EQ=a=b&limit=50");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  REQUIRE(lines(res->body).size() == 1);
  CHECK(lines(res->body)[0]["MESSAGE"] == "entry 4");
  REQUIRE(!agent.reader.filters.empty());
  CHECK(agent.reader.filters.back().matches ==
        std::vector<std::pair<std::string, std::string>>{{"EQ", "a=b"}});
}

TEST_CASE("a raw cursor with '=' and ';' in after= reaches the reader whole", "[http]") {
  // Real cursors look like "s=...;i=...;b=...;m=...;t=...;x=..."; typed unencoded (curl), after=
  // used to arrive as the text after the last '=' and be refused as a bad cursor.
  TestAgent agent(10);
  const std::string raw = "fake-3;s=0123abcd;i=1f;x=9e";
  auto res = agent.client().Get("/logs?limit=2&after=" + raw);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  REQUIRE(!agent.reader.cursors.empty());
  CHECK(agent.reader.cursors.back() == raw);
  auto entries = lines(res->body);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["MESSAGE"] == "entry 4");
}

TEST_CASE("parse_query splits at the first '=' and keeps repeats", "[http]") {
  using P = std::multimap<std::string, std::string>;
  CHECK(http::parse_query("/logs") == P{});
  CHECK(http::parse_query("/logs?") == P{});
  CHECK(http::parse_query("/logs?match=PRIORITY=3&after=s=1;i=2") ==
        P{{"after", "s=1;i=2"}, {"match", "PRIORITY=3"}});
  CHECK(http::parse_query("/x?a=1&a=1&&=v&follow&q=a+b%3Dc") ==
        P{{"a", "1"}, {"a", "1"}, {"follow", ""}, {"q", "a b=c"}});
}

TEST_CASE("logs given the same single-valued parameter twice is refused", "[http]") {
  // httplib dropped an identical repeat, so "limit=2&limit=2" passed as one limit.
  TestAgent agent(3);
  auto res = agent.client().Get("/logs?limit=2&limit=2");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "limit");
}

TEST_CASE("a gzip stream zlib cannot start gives a JSON 500, not a broken body", "[http]") {
  // Level 42 makes deflateInit2 fail (Z_STREAM_ERROR), as no memory would in production.
  TestAgent agent(3, 100, 42);
  auto c = agent.client();
  for (const char* path : {"/logs", "/entries"}) {
    auto res = c.Get(path, {{"Accept-Encoding", "gzip"}});
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    CHECK(json::parse(res->body)["error"].get<std::string>().find(
              "cannot start gzip compression") != std::string::npos);
  }
  // Clients that do not ask for gzip are served as before.
  auto res = c.Get("/logs");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(lines(res->body).size() == 3);
}

TEST_CASE("logs is gzip-compressed for clients that accept it", "[http]") {
  TestAgent agent(20);
  httplib::Client c("127.0.0.1", agent.port);
  c.set_bearer_token_auth("secret-token");
  c.set_decompress(false);
  auto res = c.Get("/logs?limit=20", {{"Accept-Encoding", "gzip"}});
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Encoding") == "gzip");
  REQUIRE(res->body.size() > 2);
  CHECK(static_cast<unsigned char>(res->body[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(res->body[1]) == 0x8b);
  // httplib's own decompression gives the plain NDJSON back.
  httplib::Client d("127.0.0.1", agent.port);
  d.set_bearer_token_auth("secret-token");
  auto plain = d.Get("/logs?limit=20", {{"Accept-Encoding", "gzip"}});
  REQUIRE(plain);
  CHECK(lines(plain->body).size() == 20);
}

TEST_CASE("every endpoint but healthz needs a token", "[http]") {
  TestAgent agent(1);
  auto anon = agent.client(false);
  for (const char* path : {"/logs", "/entries", "/metrics", "/machine", "/nope"}) {
    auto res = anon.Get(path);
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(json::parse(res->body)["error"] == "unauthorized: a valid token is required");
  }
  auto res = anon.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  httplib::Client wrong("127.0.0.1", agent.port);
  wrong.set_bearer_token_auth("secret-tokeN");
  CHECK(wrong.Get("/logs")->status == 401);
  httplib::Client basic("127.0.0.1", agent.port);
  basic.set_basic_auth("anyone", "secret-token");
  CHECK(basic.Get("/logs")->status == 200);
  std::string metrics = agent.metrics.render();
  CHECK(metrics.find("infralogs_agent_auth_failures_total{reason=\"missing\"} 5") !=
        std::string::npos);
  CHECK(metrics.find("infralogs_agent_auth_failures_total{reason=\"invalid\"} 1") !=
        std::string::npos);
}

TEST_CASE("too many failed attempts from one address get 429", "[http]") {
  TestAgent agent(1, 3);
  httplib::Client wrong("127.0.0.1", agent.port);
  wrong.set_bearer_token_auth("nope");
  for (int i = 0; i < 3; ++i) CHECK(wrong.Get("/logs")->status == 401);
  auto res = wrong.Get("/logs");
  CHECK(res->status == 429);
  CHECK(res->get_header_value("Retry-After") == "60");
  // Even the right token waits out the window from that address.
  CHECK(agent.client().Get("/logs")->status == 429);
}

TEST_CASE("healthz says 503 and why when the journal is unreadable", "[http]") {
  TestAgent agent(1);
  agent.reader.readable = Status::unavailable("no journal files");
  auto res = agent.client(false).Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(json::parse(res->body)["reason"] == "no journal files");
}

TEST_CASE("entries speaks gatewayd's Range header", "[http]") {
  TestAgent agent(10);
  auto c = agent.client();
  auto res = c.Get("/entries", {{"Accept", "application/json"}, {"Range", "entries=fake-3:1:2"}});
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  auto entries = lines(res->body);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["MESSAGE"] == "entry 4");
  res = c.Get("/entries", {{"Accept", "application/json"}, {"Range", "entries=fake-3:2"}});
  entries = lines(res->body);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["MESSAGE"] == "entry 3");
  // A skip back past the head starts at the head (fuzz_range_header's input: the fake
  // journal read entries[-7]).
  res = c.Get("/entries", {{"Accept", "application/json"}, {"Range", "entries=fake-4:-10:100"}});
  REQUIRE(res);
  entries = lines(res->body);
  REQUIRE(entries.size() == 10);
  CHECK(entries[0]["MESSAGE"] == "entry 0");
  res = c.Get("/entries", {{"Range", "entries=:0"}});
  CHECK(res->status == 400);
  res = c.Get("/entries?N=2", {{"Accept", "application/json"}});
  CHECK(lines(res->body).size() == 3);
  // follow is served (agent_follow_test); discrete and a follow that is no boolean are not.
  res = c.Get("/entries?discrete", {{"Accept", "application/json"}});
  CHECK(res->status == 400);
  res = c.Get("/entries?follow=maybe", {{"Accept", "application/json"}});
  CHECK(res->status == 400);
}

TEST_CASE("metrics count requests by path and status", "[http]") {
  TestAgent agent(2);
  auto c = agent.client();
  c.Get("/logs");
  // The server counts a request after its response is written, so the client can get there
  // first: poll briefly.
  std::string body;
  for (int i = 0; i < 200; ++i) {
    auto res = c.Get("/metrics");
    REQUIRE(res);
    body = res->body;
    if (body.find("infralogs_agent_entries_served_total 2") != std::string::npos &&
        body.find("infralogs_agent_http_requests_total{path=\"/logs\",code=\"200\"} 1") !=
            std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(body.find("infralogs_agent_http_requests_total{path=\"/logs\",code=\"200\"} 1") !=
        std::string::npos);
  CHECK(body.find("infralogs_agent_entries_served_total 2") != std::string::npos);
  CHECK(body.find("process_resident_memory_bytes") != std::string::npos);
}
