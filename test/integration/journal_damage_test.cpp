// A journal file overwritten in the middle, header kept (issue 11 item 9): the real agent serves
// what journalctl can read of it, and counts and logs what it cannot read instead of answering
// as if the journal ended there. Before, it served nothing at all of such a file (its page
// count-ahead made libsystemd drop the file, and the rewound read found no file), with
// entries_skipped_total and journal_read_errors_total at 0 and no log line.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/journal.h"
#include "support/ndjson.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

// Overwrites [45%, 55%) of the file with pseudo-random bytes (fixed seed: the same damage every
// run; make-journal's files are deterministic too). The header (264 bytes) is kept, so
// libsystemd opens the file and reads up to the damage.
void damage_middle(const std::string& path) {
  auto size = std::filesystem::file_size(path);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::mt19937 random(11);
  std::string garbage(size / 10, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  f.seekp(static_cast<std::streamoff>(size * 45 / 100));
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  REQUIRE(f.good());
}

long metric(httplib::Client& c, const std::string& name) {
  auto res = c.Get("/metrics");
  REQUIRE(res);
  size_t at = res->body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stol(res->body.substr(at + name.size() + 2));
}

std::vector<std::string> cursors(const std::vector<json>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e["__CURSOR"].get<std::string>());
  return out;
}

bool logged(const ServerProcess& agent, const std::string& text) {
  // Logged once the response is done, which may be just after the client has it.
  for (int i = 0; i < 200; ++i) {
    if (agent.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("a journal damaged mid-file: the agent serves what journalctl reads and counts the rest",
          "[integration][damaged]") {
  TempDir dir;
  std::string journal = dir.path() + "/mid.journal";
  generate_journal(journal, {"--entries", "3000"});
  damage_middle(journal);
  // The oracle: journalctl stops at the damage. The test only means something if it does.
  auto oracle = journalctl_json({"--file", journal});
  INFO("journalctl read " << oracle.size() << " of 3000 entries");
  REQUIRE(oracle.size() > 0);
  REQUIRE(oracle.size() < 3000);

  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", journal});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("t");

  {
    INFO("one page of everything");
    auto res = c.Get("/logs?limit=100000");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto got = parse_ndjson(res->body);
    CHECK(got.size() == oracle.size());
    CHECK(cursors(got) == cursors(oracle));
    CHECK(res->get_header_value("Infralogs-More") == "false");
  }
  {
    INFO("pages of 7, as a collector asks, end at the damage and not before");
    std::vector<json> all;
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      httplib::Params p{{"limit", "7"}};
      if (!after.empty()) p.emplace("after", after);
      auto res = c.Get("/logs", p, httplib::Headers{});
      REQUIRE(res);
      REQUIRE(res->status == 200);
      auto got = parse_ndjson(res->body);
      all.insert(all.end(), got.begin(), got.end());
      if (!got.empty()) after = got.back()["__CURSOR"].get<std::string>();
      if (res->get_header_value("Infralogs-More") != "true") break;
    }
    CHECK(cursors(all) == cursors(oracle));
  }
  // What could not be read is counted and logged (the count of entries lost is unknown:
  // libsystemd says nothing of what lies past the damage).
  CHECK(metric(c, "infralogs_agent_journal_read_errors_total") > 0);
  CHECK(logged(agent, "a journal file is damaged"));
  CHECK(logged(agent, "journal entries could not be read"));
  // An undamaged copy of the same entries reads whole, with no error counted.
  std::string clean = dir.path() + "/clean.journal";
  generate_journal(clean, {"--entries", "3000"});
  ServerProcess agent2("agent", {"--token-file", tokens, "--file", clean});
  httplib::Client c2("127.0.0.1", agent2.port());
  c2.set_bearer_token_auth("t");
  auto res = c2.Get("/logs?limit=100000");
  REQUIRE(res);
  CHECK(parse_ndjson(res->body).size() == 3000);
  CHECK(metric(c2, "infralogs_agent_journal_read_errors_total") == 0);
}
