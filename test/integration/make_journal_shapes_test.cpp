// make-journal --shape: each shape of journal holds what its help says, read back through
// journal-remote and journalctl (the oracle), and the default stays the original mix.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "support/binaries.h"
#include "support/exit_codes.h"
#include "support/journal.h"
#include "support/ndjson.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

constexpr int kEntries = 300;

// The entries of a one-host journal of SHAPE, as journalctl prints them.
std::vector<json> shaped(const TempDir& dir, const std::string& shape) {
  const std::string file = dir.path() + "/" + shape + ".journal";
  generate_journal(file, {"--shape", shape, "--entries", std::to_string(kEntries)});
  std::vector<json> rows = journalctl_json({"--file", file});
  REQUIRE(rows.size() == kEntries);
  return rows;
}

// The data fields of an entry: everything but journalctl's "__" address fields.
size_t data_fields(const json& row) {
  size_t n = 0;
  for (const auto& [name, value] : row.items()) n += !name.starts_with("__");
  return n;
}

std::string export_stream(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      make_journal_binary(), "--export-only", "-o",       "-", "--hosts", "2",
      "--entries",           "500",           "--hostile"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("make-journal --shape long writes messages of 1-4 KiB with escapes in them",
          "[integration][make_journal]") {
  TempDir dir;
  size_t with_newline = 0, with_quote = 0;
  for (const json& row : shaped(dir, "long")) {
    REQUIRE(row["MESSAGE"].is_string());
    const std::string message = row["MESSAGE"];
    CHECK(message.size() >= 1024);
    CHECK(message.size() <= 4096);
    with_newline += message.find('\n') != std::string::npos;
    with_quote += message.find('"') != std::string::npos;
  }
  CHECK(with_newline > kEntries / 2);
  CHECK(with_quote > kEntries / 2);
}

TEST_CASE("make-journal --shape wide writes 60 fields or more per entry",
          "[integration][make_journal]") {
  TempDir dir;
  for (const json& row : shaped(dir, "wide")) {
    CHECK(data_fields(row) >= 60);
    CHECK(row.contains("APP_FIELD_00"));
    CHECK(row.contains("APP_FIELD_59"));
  }
}

TEST_CASE("make-journal --shape binary writes values journalctl prints as byte arrays",
          "[integration][make_journal]") {
  TempDir dir;
  for (const json& row : shaped(dir, "binary")) {
    CHECK(row["MESSAGE"].is_array());
    REQUIRE(row["PAYLOAD"].is_array());
    CHECK(row["PAYLOAD"].size() >= 32);
    CHECK(row["PAYLOAD"].size() <= 512);
    CHECK(row["LATIN1_NAME"].is_array());
    CHECK(row["_HOSTNAME"].is_string());  // the rest stays text
  }
}

TEST_CASE("make-journal --shape tiny writes five short fields", "[integration][make_journal]") {
  TempDir dir;
  const std::set<std::string> want = {"_BOOT_ID", "_MACHINE_ID", "_HOSTNAME", "PRIORITY",
                                      "MESSAGE"};
  for (const json& row : shaped(dir, "tiny")) {
    std::set<std::string> names;
    for (const auto& [name, value] : row.items()) {
      if (!name.starts_with("__")) names.insert(name);
    }
    CHECK(names == want);
    REQUIRE(row["MESSAGE"].is_string());
    CHECK(!row["MESSAGE"].get<std::string>().empty());
    CHECK(row["MESSAGE"].get<std::string>().size() <= 16);
  }
}

TEST_CASE("make-journal --shape current is the default, and every shape is deterministic",
          "[integration][make_journal]") {
  const std::string current = export_stream({});
  CHECK(export_stream({"--shape", "current"}) == current);
  for (const char* shape : {"long", "wide", "binary", "tiny"}) {
    INFO(shape);
    const std::string stream = export_stream({"--shape", shape});
    CHECK(stream != current);
    CHECK(export_stream({"--shape", shape}) == stream);
  }
  check_usage_error(run({make_journal_binary(), "--export-only", "-o", "-", "--shape", "huge"}));
}

// The encoders' fast paths (long strings, many fields, byte arrays, tiny entries) against the
// oracle: on every shape, one /logs request gives exactly journalctl's entries.
TEST_CASE("agent serves every shape of journal exactly as journalctl -o json --all",
          "[integration][oracle]") {
  TempDir dir;
  const std::string token_file = dir.write("tokens", "shape-token\n");
  for (const char* shape : {"long", "wide", "binary", "tiny"}) {
    INFO(shape);
    const std::vector<json> want = shaped(dir, shape);
    ServerProcess agent(
        "agent", {"--token-file", token_file, "--file", dir.path() + "/" + shape + ".journal"});
    httplib::Client c("127.0.0.1", agent.port());
    c.set_bearer_token_auth("shape-token");
    auto res = c.Get("/logs?limit=1000");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const std::vector<json> got = parse_ndjson(res->body);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("entry " << i);
      REQUIRE(got[i] == want[i]);
    }
  }
}
