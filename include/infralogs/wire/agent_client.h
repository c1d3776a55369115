#pragma once
// AgentClient: fetches a page of entries from an agent's /logs. Interface so the collector can
// be tested with test/fakes/fake_agent_client.h; HttpAgentClient is the real one.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "infralogs/core/thread_annotations.h"

namespace infralogs::wire {

// What an agent speaks. kGatewayd: a plain systemd-journal-gatewayd (hosts where nothing can be
// installed), read through its /entries with a Range header (docs/operations.md).
enum class AgentProtocol { kInfralogs, kGatewayd };

struct AgentSpec {
  std::string name;              // the host name entries are stored under
  std::string url;               // http://HOST:PORT or https://HOST:PORT
  std::string token;             // secret: never logged (may be empty for gatewayd)
  std::string ca_file;           // for https: CA bundle to verify the agent (empty: system default)
  std::string client_cert_file;  // for https: our certificate, for agents that require one
  std::string client_key_file;   // its private key
  std::map<std::string, std::string> labels;
  AgentProtocol protocol = AgentProtocol::kInfralogs;  // last: aggregate initialisers stay valid
};

struct FetchRequest {
  std::string after;                   // resume after this cursor; empty: from `since` or the head
  std::optional<uint64_t> since_usec;  // first contact: start here (ignored with `after`)
  size_t limit = 1000;
};

// A follow request (docs/wire-protocol.md, "Follow"): the page from `after` (or `since`), then
// every new entry as the agent's journal gets it, until `wait` ends the response.
struct FollowRequest {
  std::string after;                   // resume after this cursor; empty: from `since` or the head
  std::optional<uint64_t> since_usec;  // first contact: start here (ignored with `after`)
  std::chrono::seconds wait{300};      // the response ends cleanly after this long
};

// What a follow response delivers, called from the thread that called follow(), in order.
class FollowHandler {
 public:
  virtual ~FollowHandler() = default;
  // The response started: its Infralogs-Follow heartbeat (0 when the header is absent) and
  // whether the agent still had `after` (false: the first entry follows a gap).
  virtual void on_start(std::chrono::seconds heartbeat, bool cursor_found) = 0;
  // One entry. Blocking here (a full queue) holds the stream back: the agent's socket fills.
  virtual void on_entry(LogEntry entry) = 0;
  // Bytes arrived (an entry or a heartbeat line): the stream is alive.
  virtual void on_alive() = 0;
};

// Who an agent is (GET /machine): what a collector names an agent it found through DNS by.
struct AgentIdentity {
  std::string name;        // the agent's --name (default: its hostname); stable across restarts
  std::string hostname;    // gethostname() where it runs (a pod name in Kubernetes)
  std::string machine_id;  // /etc/machine-id of the machine it reads
};

class AgentClient {
 public:
  virtual ~AgentClient() = default;
  // The agent's /machine. Errors as fetch(); kCorruption when the body is not the protocol's
  // object or has no name and no hostname. Thread-safe.
  virtual Result<AgentIdentity> identify(const AgentSpec& agent, std::stop_token stop) = 0;
  // One page (cut at HttpAgentClientOptions::max_page_bytes for HttpAgentClient). Errors:
  // kUnavailable (cannot connect, timed out, 5xx: retry later), kPermissionDenied (401/403/429),
  // kInvalidArgument (400), kCorruption (a response that is not the protocol: truncated, invalid
  // JSON, an entry without a cursor, a line over the limit). Stops early with kUnavailable when
  // `stop` is requested. Thread-safe.
  // For an AgentProtocol::kGatewayd agent the same contract holds with gatewayd's /entries:
  // `cursor_found` is false when gatewayd's first entry is not the one `after` names (it seeks
  // to the nearest position instead); `more` when the page is full. Its entries are read in the
  // Journal Export Format, so every value arrives whole and is stored as for an infralogs agent.
  virtual Result<Batch> fetch(const AgentSpec& agent, const FetchRequest& request,
                              std::stop_token stop) = 0;
  // One follow response from an infralogs agent, entries handed to `handler` as they arrive.
  // Ok when the response ended cleanly (`wait` ran out: reconnect after the last entry).
  // kNotFound when the agent does not know `follow` (an older agent answers 400 naming it): poll
  // it instead. Other errors as fetch(); kUnavailable "stopped" when `stop` is requested (the
  // entries handed over so far stay valid). The default: kNotFound (a client without follow).
  // Thread-safe.
  virtual Status follow(const AgentSpec& agent, const FollowRequest& request,
                        FollowHandler& handler, std::stop_token stop) {
    return Status::not_found("this client cannot follow");
  }
};

struct HttpAgentClientOptions {
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{30};  // the longest silence within a response
  // The longest a whole /logs response may take, from connecting to its last byte: an agent
  // that trickles bytes slower than read_timeout cannot hold a worker longer. 0: no limit.
  std::chrono::seconds response_timeout{300};
  size_t max_line_bytes = 64u << 20;  // a longer line is refused as corruption
  // A page is cut after the line that brings its decoded bytes to this many: the client closes
  // the response and returns the entries so far with `more` set, so the caller resumes from the
  // last one. Bounds the collector's memory per worker whatever the page's entry count (1,000
  // legal 1 MiB entries would otherwise be held at once). At least one entry per page.
  size_t max_page_bytes = 32u << 20;
  bool gzip = true;  // ask agents to compress
};

class HttpAgentClient : public AgentClient {
 public:
  explicit HttpAgentClient(HttpAgentClientOptions options) : options_(options) {}
  Result<AgentIdentity> identify(const AgentSpec& agent, std::stop_token stop) override;
  Result<Batch> fetch(const AgentSpec& agent, const FetchRequest& request,
                      std::stop_token stop) override;
  // Silence is judged by the caller (three heartbeats, FollowHandler::on_alive): the read
  // timeout of a follow response is the longer of read_timeout and wait + 30 s.
  Status follow(const AgentSpec& agent, const FollowRequest& request, FollowHandler& handler,
                std::stop_token stop) override;

 private:
  // One request. With `journal_order` it asks for order=journal (docs/wire-protocol.md); an agent
  // from before it answers 400 naming `order`, and *order_refused says so.
  Result<Batch> fetch_page(const AgentSpec& agent, const FetchRequest& request,
                           std::stop_token stop, bool journal_order, bool* order_refused);
  Status follow_stream(const AgentSpec& agent, const FollowRequest& request, FollowHandler& handler,
                       std::stop_token stop, bool journal_order, bool* order_refused);
  // call(journal_order, &order_refused): with order=journal for an infralogs agent that has not
  // refused it, then, when it refuses it now, once more without (remembered, logged once).
  template <class Call>
  auto with_journal_order(const AgentSpec& agent, Call call);
  // Whether to ask `url` for order=journal: yes until it refused it once.
  bool journal_order(const std::string& url);
  void note_order_refused(const std::string& url);

  HttpAgentClientOptions options_;
  Mutex mu_;
  std::set<std::string> order_refused_ GUARDED_BY(mu_);  // agent URLs
};

}  // namespace infralogs::wire
