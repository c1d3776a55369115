#include "faults/fault_support.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/binaries.h"
#include "support/files.h"
#include "support/journal.h"

namespace infralogs::test {

uint64_t fault_seed(const std::string& test) {
  uint64_t seed = 0;
  if (const char* env = std::getenv("INFRALOGS_FAULT_SEED"); env && *env) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  std::cerr << "faults: " << test << ": seed " << seed
            << " (replay with INFRALOGS_FAULT_SEED=" << seed << ")\n";
  return seed;
}

namespace {

// The value of `key` (s, i, ...) in a journal cursor "s=...;i=...;b=...".
std::string cursor_part(const std::string& cursor, const std::string& key) {
  size_t at = 0;
  while (at < cursor.size()) {
    size_t end = cursor.find(';', at);
    if (end == std::string::npos) end = cursor.size();
    if (cursor.compare(at, key.size() + 1, key + "=") == 0)
      return cursor.substr(at + key.size() + 1, end - at - key.size() - 1);
    at = end + 1;
  }
  return "";
}

}  // namespace

std::vector<EntryKey> journal_keys(const std::vector<std::string>& journal_args) {
  std::vector<EntryKey> keys;
  for (const auto& e : journalctl_json(journal_args)) {
    std::string cursor = e.at("__CURSOR").get<std::string>();
    EntryKey k;
    k.seqnum_id = cursor_part(cursor, "s");
    k.seqnum = std::stoull(cursor_part(cursor, "i"), nullptr, 16);
    k.realtime_usec = std::stoull(e.at("__REALTIME_TIMESTAMP").get<std::string>());
    keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<EntryKey> stored_keys(MariaDbPair& pair, bool on_replica, const std::string& db,
                                  const std::string& host) {
  std::string sql = "SELECT LOWER(HEX(e.seqnum_id)), e.seqnum, e.realtime_us FROM " + db +
                    ".entries e JOIN " + db + ".hosts h USING (host_id) WHERE h.name = '" + host +
                    "' ORDER BY e.seqnum_id, e.seqnum";
  Rows rows = on_replica ? pair.replica(sql) : pair.primary(sql);
  std::vector<EntryKey> keys;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 3);
    keys.push_back({r[0], std::stoull(r[1]), std::stoull(r[2])});
  }
  return keys;
}

Comparison compare(const std::vector<EntryKey>& journal, std::vector<EntryKey> stored) {
  Comparison c;
  c.journal = journal.size();
  c.stored = stored.size();
  std::map<std::pair<std::string, uint64_t>, uint64_t> want;  // key -> realtime
  for (const auto& k : journal) want[{k.seqnum_id, k.seqnum}] = k.realtime_usec;
  std::map<std::pair<std::string, uint64_t>, size_t> seen;
  for (const auto& k : stored) {
    auto it = want.find({k.seqnum_id, k.seqnum});
    if (it == want.end() || it->second != k.realtime_usec) ++c.unknown;
    if (++seen[{k.seqnum_id, k.seqnum}] > 1) ++c.duplicated;
  }
  for (const auto& [key, realtime] : want)
    if (!seen.count(key)) ++c.lost;
  return c;
}

Comparison check_host_exact(MariaDbPair& pair, bool on_replica, const std::string& db,
                            const std::string& host, const std::vector<std::string>& journal_args) {
  Comparison c = compare(journal_keys(journal_args), stored_keys(pair, on_replica, db, host));
  INFO("host " << host << " on the " << (on_replica ? "replica" : "primary") << ": journal "
               << c.journal << ", stored " << c.stored << ", lost " << c.lost << ", duplicated "
               << c.duplicated << ", not in the journal " << c.unknown);
  CHECK(c.journal > 0);
  CHECK(c.lost == 0);
  CHECK(c.duplicated == 0);
  CHECK(c.unknown == 0);
  CHECK(c.stored == c.journal);
  return c;
}

void write_inventory(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& agents,
                     const std::string& token_file) {
  nlohmann::json inv = {{"agents", nlohmann::json::array()}};
  for (const auto& [name, url] : agents)
    inv["agents"].push_back({{"name", name}, {"url", url}, {"token_file", token_file}});
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << inv.dump(2);
    REQUIRE(out.good());
  }
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

RestartableAgent::RestartableAgent(std::vector<std::string> args, int port)
    : args_(std::move(args)), port_(port) {}

void RestartableAgent::start() {
  std::vector<std::string> argv = {infralogs_binary(), "agent", "--listen",
                                   "127.0.0.1:" + std::to_string(port_)};
  argv.insert(argv.end(), args_.begin(), args_.end());
  // A port just freed by a killed agent may take a moment to be free for bind (SO_REUSEADDR
  // covers TIME_WAIT; a connection still being torn down may not be): try a few times.
  for (int attempt = 0; attempt < 20; ++attempt) {
    process_ = std::make_unique<BackgroundProcess>(argv);
    for (int i = 0; i < 300; ++i) {
      if (process_->err().find("\"msg\":\"listening\"") != std::string::npos) return;
      if (process_->poll()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!process_->poll()) {
      INFO(process_->log());
      FAIL("the agent did not listen on port " << port_ << " within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO(process_->log());
  FAIL("the agent could not start on port " << port_);
}

void RestartableAgent::kill9() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait();
}

bool RestartableAgent::running() { return process_ && !process_->poll(); }

}  // namespace infralogs::test
