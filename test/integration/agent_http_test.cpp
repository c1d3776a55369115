// The real agent binary over HTTP(S): authentication, token rotation, rate limiting, TLS,
// bad requests, health and damaged journals.

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/binaries.h"
#include "support/exit_codes.h"
#include "support/journal.h"
#include "support/ndjson.h"
#include "support/pki.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

struct Setup {
  TempDir dir;
  std::string journal;
  std::string tokens;
  Setup() {
    journal = dir.path() + "/small.journal";
    generate_journal(journal, {"--entries", "50"});
    tokens = dir.write("tokens", "token-one\ntoken-two\n");
  }
};

int status_of(httplib::Client& c, const char* path) {
  auto res = c.Get(path);
  REQUIRE(res);
  return res->status;
}

}  // namespace

TEST_CASE("agent refuses requests without a valid token", "[integration][auth]") {
  Setup s;
  ServerProcess agent("agent", {"--token-file", s.tokens, "--file", s.journal});
  httplib::Client anon("127.0.0.1", agent.port());
  auto res = anon.Get("/logs");
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(json::parse(res->body).contains("error"));
  CHECK(res->body.find("token-one") == std::string::npos);

  httplib::Client wrong("127.0.0.1", agent.port());
  wrong.set_bearer_token_auth("token-three");
  CHECK(status_of(wrong, "/logs") == 401);

  httplib::Client bearer("127.0.0.1", agent.port());
  bearer.set_bearer_token_auth("token-two");
  CHECK(status_of(bearer, "/logs") == 200);
  CHECK(status_of(bearer, "/metrics") == 200);

  httplib::Client basic("127.0.0.1", agent.port());
  basic.set_basic_auth("whoever", "token-one");
  CHECK(status_of(basic, "/logs") == 200);

  // curl with user:TOKEN@ in the URL, as gatewayd clients do.
  auto r = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "http://u:token-one@127.0.0.1:" + std::to_string(agent.port()) + "/logs"});
  CHECK(r.out == "200");

  agent.stop();
  // No token ever appears in the agent's log.
  CHECK(agent.log().find("token-one") == std::string::npos);
  CHECK(agent.log().find("token-three") == std::string::npos);
  CHECK(agent.log().find("authentication failed") != std::string::npos);
}

TEST_CASE("agent picks up a replaced token file while running", "[integration][auth]") {
  Setup s;
  // Polling with the not-yet-valid token fails many times; keep it under the rate limit.
  ServerProcess agent("agent",
                      {"--token-file", s.tokens, "--file", s.journal, "--auth-fail-limit", "1000"});
  httplib::Client old_client("127.0.0.1", agent.port()), new_client("127.0.0.1", agent.port());
  old_client.set_bearer_token_auth("token-one");
  new_client.set_bearer_token_auth("rotated-token");
  CHECK(status_of(old_client, "/logs") == 200);
  CHECK(status_of(new_client, "/logs") == 401);
  // Replace the file the way a Secret update or Vault Agent does: write, then rename over.
  std::string tmp = s.dir.write("tokens.new", "rotated-token\n");
  std::filesystem::rename(tmp, s.tokens);
  bool switched = false;
  for (int i = 0; i < 50 && !switched; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    switched = status_of(new_client, "/logs") == 200;
  }
  CHECK(switched);
  CHECK(status_of(old_client, "/logs") == 401);
}

TEST_CASE("agent rate-limits failed attempts per client address", "[integration][auth]") {
  Setup s;
  ServerProcess agent("agent", {"--token-file", s.tokens, "--file", s.journal, "--auth-fail-limit",
                                "3", "--auth-fail-window", "30"});
  httplib::Client wrong("127.0.0.1", agent.port());
  wrong.set_bearer_token_auth("guess");
  for (int i = 0; i < 3; ++i) CHECK(status_of(wrong, "/logs") == 401);
  auto res = wrong.Get("/logs");
  REQUIRE(res);
  CHECK(res->status == 429);
  CHECK(std::stoi(res->get_header_value("Retry-After")) > 0);
  httplib::Client health("127.0.0.1", agent.port());
  CHECK(status_of(health, "/healthz") == 200);
}

TEST_CASE("agent answers bad parameters with 400 naming the parameter", "[integration][params]") {
  Setup s;
  ServerProcess agent("agent",
                      {"--token-file", s.tokens, "--file", s.journal, "--max-limit", "500"});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("token-one");
  struct Case {
    const char* url;
    const char* parameter;
  };
  for (const Case& tc : {Case{"/logs?after=not-a-cursor", "after"}, Case{"/logs?limit=0", "limit"},
                         Case{"/logs?limit=501", "limit"}, Case{"/logs?limit=-1", "limit"},
                         Case{"/logs?priority=loud", "priority"}, Case{"/logs?color=blue", "color"},
                         Case{"/logs?since=soon", "since"}, Case{"/logs?match=x%3Dy", "match"},
                         Case{"/logs?boot=123", "boot"}, Case{"/logs?fields=a", "fields"}}) {
    INFO(tc.url);
    auto res = c.Get(tc.url);
    REQUIRE(res);
    CHECK(res->status == 400);
    auto body = json::parse(res->body);
    CHECK(body["parameter"] == tc.parameter);
    CHECK(!body["error"].get<std::string>().empty());
  }
  // The agent keeps serving.
  CHECK(status_of(c, "/logs?limit=500") == 200);
  auto res = c.Get("/entries", {{"Range", "entries=:0"}});
  REQUIRE(res);
  CHECK(res->status == 400);
}

TEST_CASE("healthz is 503 with the reason when the journal cannot be read",
          "[integration][health]") {
  Setup s;
  TempDir empty;
  ServerProcess agent("agent", {"--token-file", s.tokens, "--directory", empty.path()});
  httplib::Client c("127.0.0.1", agent.port());
  auto res = c.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(json::parse(res->body)["reason"].get<std::string>().find("no journal file") !=
        std::string::npos);

  ServerProcess good("agent", {"--token-file", s.tokens, "--file", s.journal});
  httplib::Client g("127.0.0.1", good.port());
  res = g.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("agent skips and counts damaged entries and keeps serving", "[integration][damaged]") {
  TempDir dir;
  std::string journal = dir.path() + "/big.journal";
  generate_journal(journal, {"--entries", "3000", "--hostile"});
  std::string tokens = dir.write("tokens", "t\n");
  // Scribble over the middle third of a copy: some data items stop being NAME=value.
  std::string damaged = dir.path() + "/damaged.journal";
  std::filesystem::copy_file(journal, damaged);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    auto size = std::filesystem::file_size(damaged);
    for (auto off = size / 3; off < 2 * size / 3; off += 40000) {
      f.seekp(static_cast<std::streamoff>(off));
      f.write(std::string(64, '\xff').data(), 64);
    }
  }
  ServerProcess agent("agent", {"--token-file", tokens, "--file", damaged});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("t");
  for (int i = 0; i < 2; ++i) {
    auto res = c.Get("/logs?limit=100000");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto got = parse_ndjson(res->body);
    CHECK(got.size() > 2000);
    CHECK(got.size() < 3019);
    for (const auto& e : got) {
      for (const auto& [key, value] : e.items()) {
        bool ok = key.rfind("__", 0) == 0 || std::all_of(key.begin(), key.end(), [](char ch) {
                    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
                  });
        if (!ok) FAIL("malformed field served: " << key);
      }
    }
  }
  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infralogs_agent_entries_skipped_total 0") == std::string::npos);
  CHECK(metrics->body.find("infralogs_agent_entries_skipped_total") != std::string::npos);
  CHECK(c.Get("/healthz")->status == 200);
  // Logged once the response is done, which may be just after the client has it.
  for (int i = 0;
       i < 200 && agent.log().find("journal entries could not be read") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(agent.log().find("journal entries could not be read") != std::string::npos);
}

TEST_CASE("an unreadable journal file gives 503 with the reason, not an empty page",
          "[integration][damaged]") {
  TempDir dir;
  std::string journal = dir.path() + "/cut.journal";
  generate_journal(journal, {"--entries", "500"});
  std::filesystem::resize_file(journal, std::filesystem::file_size(journal) / 2);
  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", journal});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("t");
  auto res = c.Get("/logs");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(json::parse(res->body)["error"].get<std::string>().find("cannot open") !=
        std::string::npos);
  CHECK(c.Get("/healthz")->status == 503);
}

TEST_CASE("a journal file truncated while a response streams does not kill the agent",
          "[integration][damaged][sigbus]") {
  TempDir dir;
  std::string journal = dir.path() + "/shrinks.journal";
  generate_journal(journal, {"--entries", "20000"});
  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", journal});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("t");
  // Read slowly, so the agent is still inside the file (blocked on the socket) when the file is
  // cut to nothing: every page it touches after that raises SIGBUS, which used to end the
  // process (exit 135, every response in flight cut off).
  size_t received = 0;
  bool truncated = false;
  auto res = c.Get("/logs?limit=100000", [&](const char*, size_t n) {
    received += n;
    if (!truncated) {
      std::filesystem::resize_file(journal, 0);
      truncated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return true;
  });
  REQUIRE(truncated);
  // The page ends early (the rest of the file is gone); the agent lives on and says why.
  auto health = c.Get("/healthz");
  REQUIRE(health);  // no answer at all means the agent died
  for (int i = 0; i < 200 && agent.log().find("SIGBUS") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  INFO(agent.log());
  CHECK(agent.log().find("a journal file shrank while it was being read (SIGBUS)") !=
        std::string::npos);
  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infralogs_agent_journal_read_errors_total 0") == std::string::npos);
  CHECK(agent.stop() == 0);
}

TEST_CASE("agent serves HTTPS and can require client certificates", "[integration][tls]") {
  Setup s;
  Pki pki;
  CertificateFiles server = pki.issue("127.0.0.1"), client = pki.issue("collector");

  SECTION("server certificate only") {
    ServerProcess agent("agent", {"--token-file", s.tokens, "--file", s.journal, "--tls-cert",
                                  server.cert, "--tls-key", server.key});
    httplib::SSLClient c("127.0.0.1", agent.port());
    c.set_ca_cert_path(pki.ca_cert().c_str());
    c.enable_server_certificate_verification(true);
    c.set_bearer_token_auth("token-one");
    auto res = c.Get("/logs?limit=5");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(parse_ndjson(res->body).size() == 5);
    // Plain HTTP to the TLS port gets no HTTP answer.
    httplib::Client plain("127.0.0.1", agent.port());
    plain.set_read_timeout(std::chrono::seconds(3));
    auto p = plain.Get("/healthz");
    CHECK((!p || p->status != 200));
  }
  SECTION("client certificates required") {
    ServerProcess agent("agent",
                        {"--token-file", s.tokens, "--file", s.journal, "--tls-cert", server.cert,
                         "--tls-key", server.key, "--tls-client-ca", pki.ca_cert()});
    httplib::SSLClient without("127.0.0.1", agent.port());
    without.set_ca_cert_path(pki.ca_cert().c_str());
    without.set_bearer_token_auth("token-one");
    auto res = without.Get("/logs?limit=5");
    CHECK((!res || res->status != 200));
    httplib::SSLClient with("127.0.0.1", agent.port(), client.cert, client.key);
    with.set_ca_cert_path(pki.ca_cert().c_str());
    with.set_bearer_token_auth("token-one");
    res = with.Get("/logs?limit=5");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
}

TEST_CASE("agent refuses bad startup options with a clear message", "[integration][cli]") {
  Setup s;
  auto r =
      run({infralogs_binary(), "agent", "--listen", "127.0.0.1:0", "--token-file", "/nonexistent"});
  check_usage_error(r);
  CHECK(r.err.find("--token-file") != std::string::npos);
  std::string empty_tokens = s.dir.write("empty", "\n");
  r = run({infralogs_binary(), "agent", "--listen", "127.0.0.1:0", "--token-file", empty_tokens});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("holds no token") != std::string::npos);
  r = run({infralogs_binary(), "agent", "--listen", "nowhere", "--token-file", s.tokens});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--listen") != std::string::npos);
  r = run({infralogs_binary(), "agent", "--listen", "127.0.0.1:0", "--token-file", s.tokens,
           "--tls-cert", s.tokens});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--tls-key") != std::string::npos);
}

TEST_CASE("agent stops cleanly on SIGTERM", "[integration][cli]") {
  Setup s;
  ServerProcess agent("agent", {"--token-file", s.tokens, "--file", s.journal});
  CHECK(agent.stop() == 0);
  CHECK(agent.log().find("\"stopped\"") != std::string::npos);
}

TEST_CASE("agent runs unprivileged in the systemd-journal group and says why without it",
          "[integration][privileges]") {
  if (geteuid() != 0) {
    WARN("needs root to switch users; skipped");
    return;
  }
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  std::string journal = dir.path() + "/private.journal";
  generate_journal(journal, {"--entries", "30"});
  REQUIRE(run({"chgrp", "systemd-journal", journal}).exit_code == 0);
  REQUIRE(run({"chmod", "0640", journal}).exit_code == 0);
  std::string tokens = dir.write("tokens", "t\n");
  REQUIRE(run({"chmod", "0644", tokens}).exit_code == 0);
  for (const auto& [groups, want_status] :
       {std::pair<std::string, int>{"systemd-journal", 200}, {"nogroup", 503}}) {
    INFO("groups " << groups);
    ServerProcess agent(
        "agent", {"--token-file", tokens, "--file", journal},
        {"setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=" + groups, "--"});
    CHECK(agent.log().find("running as root") == std::string::npos);
    httplib::Client c("127.0.0.1", agent.port());
    auto res = c.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == want_status);
    if (want_status == 503)
      CHECK(json::parse(res->body)["reason"].get<std::string>().find("Permission denied") !=
            std::string::npos);
    c.set_bearer_token_auth("t");
    auto logs = c.Get("/logs?limit=100");
    REQUIRE(logs);
    CHECK(logs->status == want_status);
    if (want_status == 200) CHECK(parse_ndjson(logs->body).size() == 30);
    CHECK(agent.stop() == 0);
  }
}

TEST_CASE("a journal file removed mid-response does not cut the response short",
          "[integration][damaged]") {
  TempDir dir;
  std::string jdir = dir.path() + "/j";
  std::filesystem::create_directory(jdir);
  generate_journal(jdir + "/system.journal", {"--entries", "20000"});
  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--directory", jdir});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("t");
  size_t lines = 0;
  bool removed = false;
  auto res = c.Get("/logs?limit=100000", [&](const char* data, size_t size) {
    lines += static_cast<size_t>(std::count(data, data + size, '\n'));
    if (!removed) {  // rotated and vacuumed away while the agent is streaming it
      std::filesystem::remove(jdir + "/system.journal");
      removed = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return true;
  });
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(removed);
  CHECK(lines == 20000);
  // Afterwards the directory is empty: an empty page, and /healthz says why.
  auto after = c.Get("/logs");
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(after->body.empty());
  CHECK(c.Get("/healthz")->status == 503);
}

namespace {

long vm_hwm_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST_CASE("agent closes the journal before a page's last bytes go out", "[integration][memory]") {
  // A client that opens a new connection for its next page as soon as one ends must not find
  // the previous page's journal still mapped: two open journals double the peak RSS.
  TempDir dir;
  std::string journal = dir.path() + "/j.journal";
  generate_journal(journal, {"--entries", "3000"});
  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", journal});
  auto journal_mappings = [&] {
    std::ifstream maps("/proc/" + std::to_string(agent.pid()) + "/maps");
    size_t n = 0;
    for (std::string line; std::getline(maps, line);)
      n += line.find(".journal") != std::string::npos;
    return n;
  };
  std::string after;
  for (int page = 0; page < 20; ++page) {
    httplib::Client c("127.0.0.1", agent.port());
    c.set_bearer_token_auth("t");
    auto res = c.Get("/logs?limit=100" +
                     (after.empty() ? "" : "&after=" + httplib::detail::encode_query_param(after)));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto entries = parse_ndjson(res->body);
    REQUIRE(entries.size() == 100);
    after = entries.back()["__CURSOR"].get<std::string>();
    INFO("page " << page);
    CHECK(journal_mappings() == 0);
  }
}

TEST_CASE("agent memory stays bounded however large the response", "[integration][memory]") {
  TempDir dir;
  std::string journal = dir.path() + "/big.journal";
  generate_journal(journal, {"--hosts", "4", "--entries", "15000"});
  std::string tokens = dir.write("tokens", "t\n");
  auto peak_after_full_read = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--token-file", tokens,        "--file",
                                     journal,        "--max-limit", "100000"};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerProcess agent("agent", args);
    httplib::Client c("127.0.0.1", agent.port());
    c.set_bearer_token_auth("t");
    size_t lines = 0;
    auto res = c.Get("/logs?limit=100000", [&](const char* d, size_t n) {
      lines += static_cast<size_t>(std::count(d, d + n, '\n'));
      return true;
    });
    REQUIRE(res);
    CHECK(lines == 60000);
    return vm_hwm_kb(agent.pid());
  };
  long trimmed = peak_after_full_read({});
  long untrimmed = peak_after_full_read({"--trim-every", "0"});
  INFO("peak RSS with trimming " << trimmed << " kB, without " << untrimmed << " kB");
  CHECK(trimmed < 20 * 1024);
  CHECK(untrimmed > trimmed + 10 * 1024);
}
