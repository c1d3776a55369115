// HttpAgentClient against the real agent: a page is cut at max_page_bytes of decoded lines and
// resuming from the last cursor loses and repeats nothing (issue 11: the collector's memory
// grew with a page's bytes, about 1 GB for 1,000 entries of 1 MB).

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "infralogs/wire/agent_client.h"
#include "support/journal.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs;
using namespace infralogs::test;

TEST_CASE("a page is cut at max_page_bytes and resuming loses and repeats nothing",
          "[integration][wire][page-bound]") {
  TempDir dir;
  std::string journal = dir.path() + "/long.journal";
  generate_journal(journal, {"--entries", "600", "--shape", "long"});  // 1-4 KiB messages
  std::string tokens = dir.write("tokens", "t\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", journal});
  size_t want = journalctl_json({"--file", journal}).size();
  REQUIRE(want == 600);

  wire::AgentSpec spec{"long", "http://127.0.0.1:" + std::to_string(agent.port()), "t"};
  wire::HttpAgentClientOptions options;
  options.max_page_bytes = 64 << 10;
  auto gzip = GENERATE(true, false);
  options.gzip = gzip;
  INFO("gzip " << gzip);
  wire::HttpAgentClient client(options);

  std::set<std::string> cursors;
  size_t pages = 0, largest = 0;
  wire::FetchRequest req;
  req.limit = 1000;  // more than the journal holds: only the byte bound cuts the page
  while (true) {
    auto batch = client.fetch(spec, req, {});
    REQUIRE(batch);
    if (batch->entries.empty()) break;
    ++pages;
    largest = std::max(largest, batch->entries.size());
    for (const auto& e : batch->entries) CHECK(cursors.insert(e.cursor).second);  // no repeat
    req.after = batch->entries.back().cursor;
    if (!batch->more) break;
    REQUIRE(pages < 1000);
  }
  CHECK(cursors.size() == want);  // nothing lost
  // 600 entries of at least 1 KiB are over 600 KiB: a 64 KiB bound needs 10 pages or more,
  // each well under the 1000 asked for.
  CHECK(pages >= 10);
  CHECK(largest < 100);

  // The default bound (32 MiB) does not cut this journal: one page.
  wire::HttpAgentClient whole(wire::HttpAgentClientOptions{});
  wire::FetchRequest all;
  all.limit = 1000;
  auto batch = whole.fetch(spec, all, {});
  REQUIRE(batch);
  CHECK(batch->entries.size() == want);
  CHECK_FALSE(batch->more);
}
