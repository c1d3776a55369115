#include <httplib.h>
#include <zlib.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "body_lines.h"
#include "export_decoder.h"
#include "infralogs/core/log.h"
#include "infralogs/wire/agent_client.h"
#include "infralogs/wire/entry_decoder.h"
#include "infralogs/wire/protocol.h"

namespace infralogs::wire {
namespace {

// What gatewayd sends to `Accept: application/vnd.fdo.journal`: the Journal Export Format.
constexpr const char* kGatewaydExport = "application/vnd.fdo.journal";

Status not_gatewayd(const std::string& content_type) {
  return Status::corruption("not a systemd-journal-gatewayd (Content-Type '" +
                            content_type.substr(0, 100) + "')");
}

std::string error_text(const httplib::Response& res, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return j["error"].get<std::string>();
  return "HTTP " + std::to_string(res.status);
}

// gatewayd answers errors in plain text ("Failed to seek in journal."), one line.
std::string gatewayd_error_text(int code, const std::string& body) {
  std::string text = body.substr(0, body.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::string out = "HTTP " + std::to_string(code);
  return text.empty() ? out : out + ": " + text.substr(0, 200);
}

Status status_for_http(int code, const std::string& what) {
  if (code == 401 || code == 403 || code == 429) return Status::permission_denied(what);
  if (code == 400) return Status::invalid_argument(what);
  return Status::unavailable(what);
}

// What went wrong, for a collector's log line: httplib's own names ("Connection", "Read") say
// too little to act on. Names the URL and the timeout that ran out; never the token.
std::string transport_error(httplib::Error e, const AgentSpec& agent,
                            const HttpAgentClientOptions& options) {
  auto secs = [](std::chrono::seconds d) { return std::to_string(d.count()) + " s"; };
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect to " + agent.url + " (refused, unreachable or no such host)";
    case httplib::Error::ConnectionTimeout:
      return "no connection to " + agent.url + " within " + secs(options.connect_timeout);
    case httplib::Error::Read:
      return agent.url + " closed the connection or sent nothing for " +
             secs(options.read_timeout) + " (read timeout)";
    case httplib::Error::Write:
      return "cannot send the request to " + agent.url + " (connection closed)";
    case httplib::Error::SSLConnection:
      return "TLS handshake with " + agent.url + " failed";
    case httplib::Error::SSLServerVerification:
      return agent.url + "'s certificate does not verify" +
             (agent.ca_file.empty() ? std::string() : " against " + agent.ca_file);
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA or client certificate files for " + agent.url;
    default:
      return httplib::to_string(e) + " (" + agent.url + ")";
  }
}

// A client for one request to `agent`: timeouts, token, TLS verification as configured.
std::unique_ptr<httplib::Client> make_client(const AgentSpec& agent,
                                             const HttpAgentClientOptions& options) {
  auto cli =
      std::make_unique<httplib::Client>(agent.url, agent.client_cert_file, agent.client_key_file);
  cli->set_connection_timeout(options.connect_timeout);
  cli->set_read_timeout(options.read_timeout);
  if (!agent.token.empty()) cli->set_bearer_token_auth(agent.token.c_str());
  if (!agent.ca_file.empty()) {
    cli->set_ca_cert_path(agent.ca_file.c_str());
    cli->enable_server_certificate_verification(true);
  }
  return cli;
}

// Calls on_expiry (from its own thread) if it is still alive `limit` after construction: the
// response's total deadline, which read timeouts alone do not give (an agent sending a byte
// every read_timeout - 1 seconds would hold a collector's worker forever). A zero limit
// disables it.
class ResponseDeadline {
 public:
  ResponseDeadline(std::chrono::seconds limit, std::function<void()> on_expiry) {
    if (limit.count() <= 0) return;
    thread_ = std::thread([this, limit, on_expiry = std::move(on_expiry)] {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
      fired_ = true;
      lock.unlock();
      on_expiry();
    });
  }
  ~ResponseDeadline() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  ResponseDeadline(const ResponseDeadline&) = delete;
  ResponseDeadline& operator=(const ResponseDeadline&) = delete;
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// Whether a 400's body names `param` as the one at fault (the agent's errors say so in
// "parameter", and start with "PARAM:").
bool names_parameter(const httplib::Response& res, const std::string& body, const char* param) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return (j.is_object() && j.value("parameter", "") == param) ||
         error_text(res, body).rfind(std::string(param) + ":", 0) == 0;
}

// The start of an error response's body, enough for its message.
void keep_error_body(std::string& body, const char* data, size_t size) {
  if (body.size() < 4096) body.append(data, std::min(size, 4096 - body.size()));
}

}  // namespace

Result<AgentIdentity> HttpAgentClient::identify(const AgentSpec& agent, std::stop_token stop) {
  auto cli = make_client(agent, options_);
  if (!cli->is_valid()) return Status::invalid_argument("not an agent URL: '" + agent.url + "'");
  std::stop_callback on_stop(stop, [&cli] { cli->stop(); });
  const std::string where = std::string("GET ") + kMachinePath + ": ";
  auto res = cli->Get(kMachinePath);
  if (stop.stop_requested()) return Status::unavailable(where + "stopped");
  if (!res) return Status::unavailable(where + transport_error(res.error(), agent, options_));
  if (res->status != 200) return status_for_http(res->status, where + error_text(*res, res->body));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object()) return Status::corruption(where + "the body is not a JSON object");
  auto text = [&j](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  AgentIdentity id{text("name"), text("hostname"), text("machine_id")};
  if (id.name.empty()) id.name = id.hostname;
  if (id.name.empty()) return Status::corruption(where + "no name and no hostname");
  return id;
}

bool HttpAgentClient::journal_order(const std::string& url) {
  MutexLock lock(mu_);
  return order_refused_.count(url) == 0;
}

void HttpAgentClient::note_order_refused(const std::string& url) {
  {
    MutexLock lock(mu_);
    if (!order_refused_.insert(url).second) return;
  }
  log::info("collect",
            "agent does not know order=journal (older version): asking in journalctl's order; "
            "query -o verbose shows its _BOOT_ID first and repeated fields together",
            {{"agent", url}});
}

template <class Call>
auto HttpAgentClient::with_journal_order(const AgentSpec& agent, Call call) {
  const bool order = agent.protocol == AgentProtocol::kInfralogs && journal_order(agent.url);
  bool refused = false;
  auto result = call(order, &refused);
  if (!refused) return result;
  note_order_refused(agent.url);
  return call(false, &refused);
}

Result<Batch> HttpAgentClient::fetch(const AgentSpec& agent, const FetchRequest& request,
                                     std::stop_token stop) {
  return with_journal_order(agent, [&](bool order, bool* refused) {
    return fetch_page(agent, request, stop, order, refused);
  });
}

Result<Batch> HttpAgentClient::fetch_page(const AgentSpec& agent, const FetchRequest& request,
                                          std::stop_token stop, bool journal_order,
                                          bool* order_refused) {
  auto cli = make_client(agent, options_);
  if (!cli->is_valid()) return Status::invalid_argument("not an agent URL: '" + agent.url + "'");
  // We inflate ourselves, so wire_bytes counts the bytes that crossed the network.
  cli->set_decompress(false);
  std::stop_callback on_stop(stop, [&cli] { cli->stop(); });

  const bool gatewayd = agent.protocol == AgentProtocol::kGatewayd;
  std::string path;
  httplib::Headers headers;
  if (options_.gzip) headers.emplace("Accept-Encoding", "gzip");
  // gatewayd: its first entry is the one it seeked to, so a page after a cursor asks for one
  // more entry and skips 0 (not "CURSOR:1:N"): when that first entry is the cursor's, it is
  // dropped; when it is not, the cursor is gone (gatewayd seeks to the nearest entry instead of
  // failing) and nothing after it is skipped unseen.
  const size_t gatewayd_skip = gatewayd && !request.after.empty() ? 1 : 0;
  if (gatewayd) {
    path = kEntriesPath;
    // The export format, not JSON: gatewayd's JSON has no --all, so every field of 4096 bytes or
    // more (NAME=value) would arrive as null; the export format carries each value whole.
    headers.emplace("Accept", kGatewaydExport);
    std::string n = std::to_string(request.limit + gatewayd_skip);
    if (!request.after.empty()) {
      headers.emplace("Range", "entries=" + request.after + ":0:" + n);
    } else if (request.since_usec) {
      headers.emplace("Range", "realtime=" + std::to_string(*request.since_usec) + "us::0:" + n);
    } else {
      headers.emplace("Range", "entries=:0:" + n);
    }
  } else {
    path = std::string(kLogsPath) + "?limit=" + std::to_string(request.limit);
    if (journal_order) path += std::string("&") + kParamOrder + "=" + kOrderJournal;
    if (!request.after.empty()) {
      path += "&after=" + httplib::detail::encode_query_param(request.after);
    } else if (request.since_usec) {
      path += "&since=" + std::to_string(*request.since_usec);
    }
  }

  Batch batch;
  int http_status = 0;
  std::string error_body;
  Status decode_error = Status::ok();
  BodyLines body(options_.max_line_bytes, decode_error);
  ExportDecoder exported(options_.max_line_bytes);  // gatewayd's body
  size_t page_bytes = 0;      // decoded line bytes so far (gatewayd: each entry's JSON line)
  bool cut_at_bound = false;  // we closed the response at max_page_bytes
  std::string protocol;       // the response's protocol header
  bool timed_out = false;     // the response deadline cut the response
  std::string content_type;
  auto on_response = [&](const httplib::Response& res) {
    http_status = res.status;
    if (!body.start(res.get_header_value("Content-Encoding"))) return false;
    protocol = res.get_header_value(kHeaderProtocol);
    content_type = res.get_header_value("Content-Type");
    // Anything but gatewayd's export format (say a web server's HTML page) is not fed to the
    // decoder.
    if (res.status == 200 && gatewayd && content_type.rfind(kGatewaydExport, 0) != 0) {
      decode_error = not_gatewayd(content_type);
      return false;
    }
    if (res.status == 200 && !gatewayd) {
      batch.more = res.get_header_value(kHeaderMore) == "true";
      batch.cursor_found = res.get_header_value(kHeaderCursorFound) != "false";
    }
    return true;
  };
  auto on_line = [&](std::string_view line) {
    LogEntry& e = batch.entries.emplace_back();
    Status s = decode_entry(line, &e);
    if (!s.is_ok()) {
      decode_error =
          Status::corruption("entry " + std::to_string(batch.entries.size()) + ": " + s.message());
      return false;
    }
    page_bytes += line.size();
    if (page_bytes >= options_.max_page_bytes && batch.entries.size() > gatewayd_skip) {
      cut_at_bound = true;
      return false;
    }
    return true;
  };
  auto on_data = [&](const char* data, size_t size) {
    if (http_status == 200) batch.wire_bytes += size;
    return body.inflate(data, size, [&](const char* d, size_t n) {
      if (http_status != 200) {
        keep_error_body(error_body, d, n);
        return true;
      }
      if (!gatewayd) return body.split(d, n, on_line);
      if (exported.feed(d, n, on_line)) return true;
      if (!exported.error().is_ok()) {
        decode_error = Status::corruption("entry " + std::to_string(batch.entries.size() + 1) +
                                          ": " + exported.error().message());
      }
      return false;
    });
  };
  httplib::Result res = [&] {
    ResponseDeadline deadline(options_.response_timeout, [&cli] { cli->stop(); });
    auto r = cli->Get(path.c_str(), headers, on_response, on_data);
    if (deadline.fired()) timed_out = true;
    return r;
  }();
  std::string where = gatewayd ? "GET /entries: " : "GET /logs: ";
  if (timed_out) {
    return Status::unavailable(
        where + agent.url + " did not finish the page within " +
        std::to_string(options_.response_timeout.count()) +
        " s (--response-timeout); the page is fetched again from the stored cursor");
  }
  if (!decode_error.is_ok()) return Status::corruption(where + decode_error.message());
  if (stop.stop_requested()) return Status::unavailable(where + "stopped");
  // Who answered: an infralogs agent names its protocol; gatewayd's Content-Type was checked as
  // the response started.
  auto check_server = [&]() -> Status {
    if (!gatewayd && protocol != std::to_string(kProtocolVersion)) {
      return Status::corruption(where + "not an infralogs agent (protocol header '" + protocol +
                                "')");
    }
    return Status::ok();
  };
  if (cut_at_bound) {
    if (Status s = check_server(); !s.is_ok()) return s;
    batch.more = true;  // the rest of the page is fetched from the last entry's cursor
  } else {
    if (!res) return Status::unavailable(where + transport_error(res.error(), agent, options_));
    if (http_status == 400 && journal_order && names_parameter(*res, error_body, kParamOrder))
      *order_refused = true;
    if (http_status != 200) {
      return status_for_http(http_status,
                             where + (gatewayd ? gatewayd_error_text(http_status, error_body)
                                               : error_text(res.value(), error_body)));
    }
    if (Status s = body.check_end(where); !s.is_ok()) return s;
    if (gatewayd) {
      if (Status s = exported.finish(where); !s.is_ok()) return s;
    }
    if (Status s = check_server(); !s.is_ok()) return s;
    if (gatewayd) batch.more = batch.entries.size() >= request.limit + gatewayd_skip;
  }
  if (gatewayd_skip) {
    batch.cursor_found = !batch.entries.empty() && batch.entries.front().cursor == request.after;
    if (batch.cursor_found) batch.entries.erase(batch.entries.begin());
    // Nothing at all: the cursor's position is at or past gatewayd's tail; whether its entry is
    // still there does not matter, there is nothing to store.
    if (batch.entries.empty()) batch.cursor_found = true;
  }
  return batch;
}

Status HttpAgentClient::follow(const AgentSpec& agent, const FollowRequest& request,
                               FollowHandler& handler, std::stop_token stop) {
  return with_journal_order(agent, [&](bool order, bool* refused) {
    return follow_stream(agent, request, handler, stop, order, refused);
  });
}

Status HttpAgentClient::follow_stream(const AgentSpec& agent, const FollowRequest& request,
                                      FollowHandler& handler, std::stop_token stop,
                                      bool journal_order, bool* order_refused) {
  const std::string where = "GET /logs?follow=true: ";
  if (agent.protocol != AgentProtocol::kInfralogs)
    return Status::not_found(where + "gatewayd agents are polled");
  auto cli = make_client(agent, options_);
  if (!cli->is_valid()) return Status::invalid_argument("not an agent URL: '" + agent.url + "'");
  cli->set_read_timeout(std::max(options_.read_timeout, request.wait + std::chrono::seconds(30)));
  cli->set_decompress(false);
  std::stop_callback on_stop(stop, [&cli] { cli->stop(); });
  std::string path = std::string(kLogsPath) + "?" + kParamFollow + "=true&" + kParamWait + "=" +
                     std::to_string(request.wait.count());
  if (journal_order) path += std::string("&") + kParamOrder + "=" + kOrderJournal;
  if (!request.after.empty()) {
    path += "&after=" + httplib::detail::encode_query_param(request.after);
  } else if (request.since_usec) {
    path += "&since=" + std::to_string(*request.since_usec);
  }
  httplib::Headers headers;
  if (options_.gzip) headers.emplace("Accept-Encoding", "gzip");

  int http_status = 0;
  std::string error_body;
  Status decode_error = Status::ok();
  BodyLines body(options_.max_line_bytes, decode_error);
  uint64_t entries = 0;
  auto on_response = [&](const httplib::Response& res) {
    http_status = res.status;
    // An error body may be compressed too (a proxy's, or httplib's own server): it is inflated
    // before its message is read.
    if (!body.start(res.get_header_value("Content-Encoding"))) return false;
    if (res.status != 200) return true;
    if (res.get_header_value(kHeaderProtocol) != std::to_string(kProtocolVersion)) {
      decode_error = Status::corruption("not an infralogs agent (protocol header '" +
                                        res.get_header_value(kHeaderProtocol) + "')");
      return false;
    }
    // "heartbeat=5"
    std::string follow = res.get_header_value(kHeaderFollow);
    long heartbeat = 0;
    if (follow.rfind("heartbeat=", 0) == 0)
      heartbeat = std::strtol(follow.c_str() + 10, nullptr, 10);
    handler.on_start(std::chrono::seconds(std::max(0L, heartbeat)),
                     res.get_header_value(kHeaderCursorFound) != "false");
    return true;
  };
  // Lines as they come; the empty lines between them are heartbeats.
  auto on_line = [&](std::string_view line) {
    LogEntry e;
    Status s = decode_entry(line, &e);
    if (!s.is_ok()) {
      decode_error =
          Status::corruption("entry " + std::to_string(entries + 1) + ": " + s.message());
      return false;
    }
    ++entries;
    handler.on_entry(std::move(e));
    return true;
  };
  auto on_data = [&](const char* data, size_t size) {
    if (http_status != 200) {
      return body.inflate(data, size, [&](const char* d, size_t n) {
        keep_error_body(error_body, d, n);
        return true;
      });
    }
    handler.on_alive();
    return body.inflate(data, size,
                        [&](const char* d, size_t n) { return body.split(d, n, on_line); });
  };
  auto res = cli->Get(path.c_str(), headers, on_response, on_data);
  if (!decode_error.is_ok()) return Status::corruption(where + decode_error.message());
  if (stop.stop_requested()) return Status::unavailable(where + "stopped");
  if (!res) return Status::unavailable(where + transport_error(res.error(), agent, options_));
  if (http_status == 400) {
    // An agent from before follow, or before order: 400 naming the parameter it does not know.
    if (names_parameter(*res, error_body, kParamFollow)) {
      return Status::not_found(where + "the agent cannot follow (" +
                               error_text(res.value(), error_body) + ")");
    }
    if (journal_order && names_parameter(*res, error_body, kParamOrder)) {
      *order_refused = true;
      return Status::invalid_argument(where + error_text(res.value(), error_body));
    }
  }
  if (http_status != 200)
    return status_for_http(http_status, where + error_text(res.value(), error_body));
  return body.check_end(where);
}

}  // namespace infralogs::wire
