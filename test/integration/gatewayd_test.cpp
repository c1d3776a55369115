// infralogs collect from agents that are plain systemd-journal-gatewayd (inventory "protocol":
// "gatewayd"): the real /lib/systemd/systemd-journal-gatewayd, socket-activated on loopback
// by systemd-socket-activate, serving a generated journal; the real MariaDB pair; journalctl
// as the oracle.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "infralogs/journal/entry_format.h"
#include "support/binaries.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/net.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kGatewayd = "/lib/systemd/systemd-journal-gatewayd";

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

// MESSAGE as journalctl shows it: a string, or an array of byte values when not printable UTF-8.
json json_value(const std::string& bytes) {
  if (infralogs::journal::is_printable_utf8(bytes, true)) return bytes;
  json a = json::array();
  for (unsigned char c : bytes) a.push_back(c);
  return a;
}

std::string show(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 800);
}

bool can_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// systemd-journal-gatewayd serving the journal files in `dir` on 127.0.0.1:port. The listening
// socket belongs to systemd-socket-activate, which then execs gatewayd in the same process: a
// SIGKILL to it takes both away.
struct Gatewayd {
  Gatewayd(const std::string& dir, int port)
      : process({"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(port), kGatewayd,
                 "-D", dir}) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!can_connect(port)) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      REQUIRE_FALSE(process.poll().has_value());
      std::this_thread::sleep_for(20ms);
    }
  }
  BackgroundProcess process;
};

struct Stored {
  std::vector<std::string> cursors;  // in (realtime, seqnum) order
  std::vector<json> entries;         // fields with MESSAGE put back as journalctl shows it
};

Stored stored_entries(MariaDbPair& pair, const std::string& host) {
  Rows rows = pair.primary(
      "SELECT HEX(e.message), HEX(e.fields) FROM infralogs.entries e JOIN infralogs.hosts h "
      "USING (host_id) WHERE h.name = '" +
      host + "' ORDER BY e.realtime_us, e.seqnum");
  Stored s;
  for (const auto& r : rows) {
    json got = json::parse(unhex(r[1]));
    if (r[0] != "NULL" && !got.contains("MESSAGE")) got["MESSAGE"] = json_value(unhex(r[0]));
    s.cursors.push_back(got.value("__CURSOR", ""));
    s.entries.push_back(std::move(got));
  }
  return s;
}

std::vector<std::string> cursors_of(const std::vector<json>& journal) {
  std::vector<std::string> out;
  for (const auto& e : journal) out.push_back(e["__CURSOR"].get<std::string>());
  return out;
}

// The bytes of one value as journalctl --all -o json shows it: a string or an array of byte
// values (0 for a repeated field's array of values).
size_t value_bytes(const json& v) {
  if (v.is_string()) return v.get<std::string>().size();
  if (v.is_array() && !v.empty() && v[0].is_number()) return v.size();
  return 0;
}

// Values of 4096 bytes or more (NAME=value; journalctl's JSON_THRESHOLD, above which gatewayd's
// JSON, having no --all, serves null) in journalctl's entries, each value of a repeated field
// counted.
size_t big_values(const std::vector<json>& journal) {
  size_t n = 0;
  for (const auto& e : journal) {
    for (const auto& [k, v] : e.items()) {
      bool repeated = v.is_array() && !v.empty() && !v[0].is_number();
      for (const json& one : repeated ? v : json::array({v}))
        n += k.size() + 1 + value_bytes(one) >= 4096;
    }
  }
  return n;
}

// Every stored entry is journalctl --all's, field for field: the collector reads gatewayd's
// export format, so values of 4096 bytes or more arrive whole (docs/operations.md). Repeated
// fields (arrays of values) are compared as a whole.
void check_entries_match(const Stored& got, const std::vector<json>& want) {
  REQUIRE(got.entries.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("entry " << i << "\nstored:     " << show(got.entries[i])
                  << "\njournalctl: " << show(want[i]));
    CHECK(got.entries[i] == want[i]);
  }
}

// One field in the Journal Export Format: the text form, or the binary one (NAME, the length as
// 64-bit little-endian, the bytes) for values that are not one printable line.
std::string export_field(const std::string& name, const std::string& value) {
  if (infralogs::journal::is_printable_utf8(value, false)) return name + "=" + value + "\n";
  std::string out = name + "\n";
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((value.size() >> (8 * b)) & 0xFF));
  return out + value + "\n";
}

// Appends to `file`, through journal-remote as make-journal writes, entries with the large values
// --hostile lacks (its are all MESSAGE text): large fields other than MESSAGE, binary ones (NUL,
// invalid UTF-8), repeated ones, a multi-line MESSAGE. They follow the file's last entry by a
// microsecond each, so a later make-journal --skip run still comes after them. Returns how many.
size_t append_large_values(const TempDir& dir, const std::string& file) {
  uint64_t last = std::stoull(
      journalctl_json({"--file", file}).back()["__REALTIME_TIMESTAMP"].get<std::string>());
  std::string binary;
  for (int k = 0; k < 6000; ++k) binary.push_back(static_cast<char>(k % 256));
  std::string latin1(70000, '\xe9');
  std::string lines;
  for (int k = 0; k < 400; ++k) lines += "line " + std::to_string(k) + " of a long stack trace\n";
  const std::vector<std::vector<std::pair<std::string, std::string>>> entries = {
      {{"MESSAGE", lines}, {"BIG_BINARY", binary}, {"BIG_TEXT", std::string(5000, 't')}},
      {{"MESSAGE", std::string(8000, 'a')},
       {"MESSAGE", std::string(9000, 'b')},
       {"TAG", std::string(4096, 'x')},
       {"TAG", binary},
       {"TAG", "short"}},
      {{"MESSAGE", latin1},
       {"LONG_FIELD_NAME_0123456789_0123456789_0123456789_0123456789_ABC",
        std::string(10000, 'n')}},
  };
  std::string stream;
  for (size_t i = 0; i < entries.size(); ++i) {
    stream += "__REALTIME_TIMESTAMP=" + std::to_string(last + 1 + i) +
              "\n__MONOTONIC_TIMESTAMP=" + std::to_string(1000 + i) +
              "\n_BOOT_ID=b7ef3ab6d5514059b86f8f0411fdfda3\nSYSLOG_IDENTIFIER=large-values\n";
    for (const auto& [name, value] : entries[i]) stream += export_field(name, value);
    stream += "\n";
  }
  CommandResult r = run({"/lib/systemd/systemd-journal-remote", "--split-mode=none",
                         "--output=" + file, dir.write("large.export", stream)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return entries.size();
}

void check_no_duplicates(const Stored& s) {
  std::set<std::string> unique(s.cursors.begin(), s.cursors.end());
  CHECK(unique.size() == s.cursors.size());
}

std::vector<std::string> collect_args(const MariaDbPair::Database& db, const std::string& inventory,
                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {
      infralogs_binary(),      "collect", "--once", "--since",      "all",
      "--inventory",           inventory, "--db",   db.primary_url, "--db-credentials-file",
      db.collector_credentials};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string write_inventory(TempDir& dir, const std::string& name, int port) {
  json inv = {{"agents",
               {{{"name", name},
                 {"url", "http://127.0.0.1:" + std::to_string(port)},
                 {"protocol", "gatewayd"}}}}};
  return dir.write("inventory.json", inv.dump());
}

// The host's stored entries are the journal's (`want`, journalctl's JSON): same cursors in
// order, none twice, every field equal.
void check_stored_equal(MariaDbPair& pair, const std::string& host, const std::vector<json>& want) {
  Stored got = stored_entries(pair, host);
  CHECK(got.cursors == cursors_of(want));
  check_no_duplicates(got);
  check_entries_match(got, want);
}

}  // namespace

TEST_CASE("collect from a plain systemd-journal-gatewayd stores the journal exactly once",
          "[integration][collect][gatewayd]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string jdir = dir.path() + "/journal";
  std::filesystem::create_directory(jdir);
  std::string file = jdir + "/gw.journal";
  generate_journal(file, {"--entries", "600", "--hostile", "--hostname", "gw"});
  const size_t large = append_large_values(dir, file);
  int port = free_port();
  Gatewayd gw(jdir, port);
  std::string inventory = write_inventory(dir, "gw-01", port);

  // Pages of 100 (600 + 19 entries): every page after the first resumes from a cursor.
  auto r = run(collect_args(db, inventory, {"--batch", "100"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto want = journalctl_json({"--directory", jdir});
  REQUIRE(want.size() == 619 + large);
  // --hostile's 1 MiB, 65,537-, 4096- and 4088-byte messages, and append_large_values' 9.
  REQUIRE(big_values(want) == 13);
  check_stored_equal(pair, "gw-01", want);
  CHECK(std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.gaps")[0][0]) == 0);

  // A second round finds nothing new; a third stores only what was appended.
  r = run(collect_args(db, inventory));
  REQUIRE(r.exit_code == 0);
  CHECK(stored_entries(pair, "gw-01").cursors.size() == 619 + large);
  generate_journal(file, {"--entries", "40", "--skip", "600", "--hostname", "gw"});
  r = run(collect_args(db, inventory, {"--batch", "7"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  want = journalctl_json({"--directory", jdir});
  REQUIRE(want.size() == 659 + large);
  check_stored_equal(pair, "gw-01", want);
}

TEST_CASE("collect --follow polls a gatewayd agent and stores what is appended exactly once",
          "[integration][collect][gatewayd][follow]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string jdir = dir.path() + "/journal";
  std::filesystem::create_directory(jdir);
  std::string file = jdir + "/gw.journal";
  generate_journal(file, {"--entries", "50", "--hostname", "gwf"});
  int port = free_port();
  Gatewayd gw(jdir, port);
  std::string inventory = write_inventory(dir, "gwf-01", port);
  auto count = [&pair] {
    return std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]);
  };
  auto wait_count = [&](size_t n, BackgroundProcess& p) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (count() < n) {
      INFO(p.err());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      REQUIRE_FALSE(p.poll().has_value());
      std::this_thread::sleep_for(50ms);
    }
  };

  std::vector<std::string> args = collect_args(db, inventory, {"--interval", "1"});
  args[2] = "--follow";  // for --once
  BackgroundProcess collect(args);
  wait_count(50, collect);
  // Appended while it runs: normal entries, then large values (whole only through the export
  // format), picked up by the next polls.
  generate_journal(file, {"--entries", "20", "--skip", "50", "--hostname", "gwf"});
  const size_t large = append_large_values(dir, file);
  wait_count(70 + large, collect);
  // Two more polls: nothing is stored again.
  std::this_thread::sleep_for(2500ms);
  CHECK(count() == 70 + large);
  collect.signal(SIGTERM);
  auto code = collect.wait_for(10s);
  INFO(collect.err());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(collect.err().find("agent cannot follow: polling it") != std::string::npos);

  auto want = journalctl_json({"--directory", jdir});
  REQUIRE(want.size() == 70 + large);
  REQUIRE(big_values(want) == 9);
  check_stored_equal(pair, "gwf-01", want);
}

TEST_CASE("a gatewayd that disappears mid-round fails the round clearly and loses nothing",
          "[integration][collect][gatewayd]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string jdir = dir.path() + "/journal";
  std::filesystem::create_directory(jdir);
  generate_journal(jdir + "/gw.journal", {"--entries", "4000", "--hostname", "gw"});
  int port = free_port();
  auto gw = std::make_unique<Gatewayd>(jdir, port);
  std::string inventory = write_inventory(dir, "gw-01", port);

  // Small pages, so the round is still running when gatewayd goes.
  BackgroundProcess collect(collect_args(db, inventory, {"--batch", "5", "--attempts", "2"}));
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]) < 20) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE_FALSE(collect.poll().has_value());
    std::this_thread::sleep_for(10ms);
  }
  gw->process.signal(SIGKILL);
  gw->process.wait();
  int code = collect.wait();
  INFO(collect.err());
  CHECK(code == 1);
  // The one-line summary names the agent and what failed.
  CHECK(collect.err().find("collect: FAILED gw-01") != std::string::npos);
  CHECK(collect.err().find("GET /entries") != std::string::npos);
  auto want = journalctl_json({"--directory", jdir});
  Stored partial = stored_entries(pair, "gw-01");
  REQUIRE(partial.cursors.size() < want.size());
  auto all = cursors_of(want);
  CHECK(partial.cursors ==
        std::vector<std::string>(all.begin(),
                                 all.begin() + static_cast<long>(partial.cursors.size())));

  // Back: the next round continues from the stored cursor.
  gw = std::make_unique<Gatewayd>(jdir, port);
  auto r = run(collect_args(db, inventory, {"--batch", "1000"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  Stored got = stored_entries(pair, "gw-01");
  CHECK(got.cursors == all);
  check_no_duplicates(got);
}

TEST_CASE("a gatewayd journal vacuumed past the stored cursor gives a gap row, nothing skipped",
          "[integration][collect][gatewayd]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string jdir = dir.path() + "/journal";
  std::filesystem::create_directory(jdir);
  generate_journal(jdir + "/old.journal", {"--entries", "100", "--hostname", "gap"});
  int port = free_port();
  Gatewayd gw(jdir, port);
  std::string inventory = write_inventory(dir, "gap-01", port);
  REQUIRE(run(collect_args(db, inventory)).exit_code == 0);
  generate_journal(jdir + "/new.journal",
                   {"--entries", "50", "--skip", "100", "--hostname", "gap"});
  std::filesystem::remove(jdir + "/old.journal");
  auto r = run(collect_args(db, inventory));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("gap: the agent no longer has the stored cursor") != std::string::npos);
  CHECK(std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.gaps")[0][0]) == 1);
  // gatewayd seeks to the nearest entry when the cursor is gone: its first entry is stored too.
  auto want = journalctl_json({"--directory", jdir});
  REQUIRE(want.size() == 50);
  Stored got = stored_entries(pair, "gap-01");
  REQUIRE(got.cursors.size() == 150);
  CHECK(std::vector<std::string>(got.cursors.begin() + 100, got.cursors.end()) == cursors_of(want));
}
