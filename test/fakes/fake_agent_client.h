#pragma once
// FakeAgentClient: agents whose journals are vectors of entries, with cursors "c<seqnum>",
// failure injection per agent and vacuuming (dropping the oldest entries).

#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "infralogs/wire/agent_client.h"

namespace infralogs::test {

class FakeAgentClient : public wire::AgentClient {
 public:
  struct Agent {
    std::vector<LogEntry> journal;
    std::deque<Status> failures;  // returned (in order) by the next fetches
    int fetches = 0;
    bool stuck = false;  // answers "more" with no entries, as an agent that cannot read on
  };
  std::mutex mutex;
  std::map<std::string, Agent> agents;
  // Cursors as journald writes them ("s=SEQNUM_ID;i=SEQNUM;b=..."), for code that reads the
  // seqnum out of a cursor; by default the short "c<seqnum>".
  bool journal_cursors = false;

  std::string cursor_for(uint64_t seq) const {
    if (!journal_cursors) return "c" + std::to_string(seq);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(seq));
    return "s=" + std::string(32, 'a') + ";i=" + hex + ";b=" + std::string(32, 'b') +
           ";m=1;t=1;x=1";
  }
  static uint64_t seqnum_of(const std::string& cursor) {
    if (cursor.rfind("c", 0) == 0) return std::stoull(cursor.substr(1));
    size_t i = cursor.find(";i=");
    return std::stoull(cursor.substr(i + 3), nullptr, 16);
  }

  // Appends n entries to the agent's journal, seqnums continuing.
  void add_entries(const std::string& agent, int n, uint64_t start_usec = 1000000) {
    std::lock_guard<std::mutex> lock(mutex);
    auto& j = agents[agent].journal;
    for (int k = 0; k < n; ++k) {
      uint64_t seq = j.empty() ? 1 : j.back().seqnum + 1;
      LogEntry e;
      e.cursor = cursor_for(seq);
      e.seqnum_id = journal_cursors ? std::string(16, '\xaa') : std::string(16, 'S');
      e.seqnum = seq;
      e.realtime_usec = start_usec + seq;
      e.message = agent + " message " + std::to_string(seq);
      e.fields_json = "{}";
      j.push_back(std::move(e));
    }
  }
  // Drops the n oldest entries, as journald's vacuuming does.
  void vacuum(const std::string& agent, size_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    auto& j = agents[agent].journal;
    j.erase(j.begin(), j.begin() + static_cast<long>(std::min(n, j.size())));
  }

  // identify() answers with names[spec.url] when set, else kUnavailable.
  std::map<std::string, std::string> names;
  Result<wire::AgentIdentity> identify(const wire::AgentSpec& spec, std::stop_token) override {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = names.find(spec.url);
    if (it == names.end()) return Status::unavailable("GET /machine: " + spec.url + " is down");
    return wire::AgentIdentity{it->second, it->second, std::string(32, 'a')};
  }

  Result<Batch> fetch(const wire::AgentSpec& spec, const wire::FetchRequest& req,
                      std::stop_token) override {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = agents.find(spec.name);
    if (it == agents.end()) return Status::unavailable(spec.name + ": connection refused");
    Agent& a = it->second;
    ++a.fetches;
    if (!a.failures.empty()) {
      Status s = a.failures.front();
      a.failures.pop_front();
      return s;
    }
    Batch b;
    if (a.stuck) {
      b.more = true;
      return b;
    }
    size_t start = 0;
    if (!req.after.empty()) {
      uint64_t after = seqnum_of(req.after);
      start = a.journal.size();
      for (size_t i = 0; i < a.journal.size(); ++i) {
        if (a.journal[i].seqnum >= after) {
          start = i;
          break;
        }
      }
      b.cursor_found = start < a.journal.size() && a.journal[start].seqnum == after;
      if (b.cursor_found) ++start;
    } else if (req.since_usec) {
      while (start < a.journal.size() && a.journal[start].realtime_usec < *req.since_usec) ++start;
    }
    for (size_t i = start; i < a.journal.size() && b.entries.size() < req.limit; ++i)
      b.entries.push_back(a.journal[i]);
    b.more = start + b.entries.size() < a.journal.size();
    b.wire_bytes = b.entries.size() * 100;
    return b;
  }
};

}  // namespace infralogs::test
