#include "infralogs/http/dashboard_routes.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "infralogs/core/log.h"
#include "infralogs/http/json_response.h"
#include "infralogs/http/live_routes.h"
#include "infralogs/http/server.h"
#include "infralogs/journal/query.h"

namespace infralogs::http {
namespace {

using nlohmann::json;
constexpr std::string_view kComponent = "serve";

// A failure of the database behind the dashboard. Its messages name the replica's host and the
// account that logged in, and serve has no login of its own: the client gets a fixed text and
// the stable reason code, the log gets the whole message. A code that would be a 4xx for a
// request's own fault is the server's fault here (kInvalidArgument from storage is a
// misconfiguration, e.g. an account that needs TLS), so it answers 500.
void send_database_error(const httplib::Request& req, httplib::Response& res, const Status& s) {
  int status = std::max(http_status(s), 500);
  log::warn(kComponent, "database request failed",
            {{"path", req.path}, {"status", status}, {"error", s.to_string()}});
  send_json(res, status,
            {{"error", status == 503 ? "database unavailable" : "database error"},
             {"reason", reason_code(s.code())}});
}

// The parameters a request may carry; anything else is refused with 400.
bool check_params(const httplib::Request& req, httplib::Response& res,
                  const std::set<std::string>& allowed) {
  for (const auto& [key, value] : req.params) {
    if (!allowed.count(key)) {
      send_json_error(res, 400, key + ": unknown parameter", key);
      return false;
    }
    if (req.params.count(key) > 1) {
      send_json_error(res, 400, key + ": given more than once", key);
      return false;
    }
  }
  return true;
}

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::nullopt;
  return req.get_param_value(name);
}

// Parses from/to and resolves the window; false (with the response set) on a bad value.
bool window(const httplib::Request& req, httplib::Response& res, dashboard::Dashboard& d,
            storage::TimeWindow* w, json* window_json) {
  std::optional<uint64_t> from, to;
  for (const char* name : {"from", "to"}) {
    if (auto v = param(req, name)) {
      auto t = journal::parse_time(*v, d.now());
      if (!t) {
        send_json_error(res, 400, std::string(name) + ": " + t.status().message(), name);
        return false;
      }
      (std::string_view(name) == "from" ? from : to) = *t;
    }
  }
  bool is_default = false;
  auto r = d.window(from, to, &is_default);
  if (!r) {
    // The database is asked only for the default window (neither from nor to); with either
    // given, the only failure is the request's own (from not before to).
    if (from || to) {
      send_json_error(res, http_status(r.status()), r.status().message(), "from");
    } else {
      send_database_error(req, res, r.status());
    }
    return false;
  }
  *w = *r;
  *window_json = {{"from", w->from_usec}, {"to", w->to_usec}, {"default", is_default}};
  return true;
}

// Answers with the dashboard's JSON, or its failure: kNotFound is the dashboard's own "no such
// entry", every other failure comes from the database.
void reply(const httplib::Request& req, httplib::Response& res, Result<json> r,
           const json& window_json) {
  if (!r) {
    if (r.status().code() == StatusCode::kNotFound) {
      send_json_error(res, 404, r.status().message());
    } else {
      send_database_error(req, res, r.status());
    }
    return;
  }
  if (!window_json.is_null()) (*r)["window"] = window_json;
  send_json(res, 200, *r);
}

const StaticAsset* find_asset(const std::vector<StaticAsset>& assets, std::string_view name) {
  for (const auto& a : assets) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void serve_asset(httplib::Response& res, const StaticAsset* a, bool cache) {
  if (!a) {
    send_json_error(res, 404, "not found");
    return;
  }
  res.set_header("Cache-Control", cache ? "public, max-age=3600" : "no-cache");
  res.set_content(std::string(a->body), std::string(a->content_type).c_str());
}

const std::set<std::string> kWindowParams = {"from", "to", "host"};

// /api/context's before/after: how many entries that side, 0..kMaxContext (default
// kDefaultContext); false (with the 400 set) for anything else.
constexpr size_t kDefaultContext = 20;
constexpr size_t kMaxContext = 500;
bool context_count(const httplib::Request& req, httplib::Response& res, const char* name,
                   size_t* n) {
  *n = kDefaultContext;
  auto v = param(req, name);
  if (!v) return true;
  if (v->size() > 3 || v->find_first_not_of("0123456789") != std::string::npos ||
      (*n = std::stoul(*v)) > kMaxContext) {
    send_json_error(
        res, 400,
        std::string(name) + ": must be an integer from 0 to " + std::to_string(kMaxContext), name);
    return false;
  }
  return true;
}

// /healthz's "credentials": what the reader connects with (never the password), so a probe or
// an operator sees how old the credentials are and when they expire. Absent for a reader
// without credentials.
uint64_t now_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void add_credentials(json& body, storage::LogReader& reader) {
  auto c = reader.credentials();
  if (!c) return;
  // Only what the issue asks for: /healthz is unauthenticated, and last_error and the location
  // may name hosts and paths (those are in /api/credentials and the log).
  json all = dashboard::credential_json(*c, now_usec());
  json out = json::object();
  for (const char* key :
       {"source", "user", "obtained", "expires", "age_s", "expires_in_s", "source_reachable"})
    out[key] = all[key];
  body["credentials"] = out;
}

}  // namespace

void attach_dashboard_routes(httplib::Server& server, dashboard::Dashboard& d,
                             storage::LogReader& reader, MetricsRegistry& metrics,
                             const std::vector<StaticAsset>& assets, dashboard::LiveHub* live) {
  server.set_default_headers({{"Content-Security-Policy", kDashboardCsp},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"}});

  for (const auto& [path, file] :
       {std::pair{"/", "index.html"}, std::pair{"/host", "host.html"},
        std::pair{"/search", "search.html"}, std::pair{"/credentials", "credentials.html"},
        std::pair{"/live", "live.html"}, std::pair{"/context", "context.html"}}) {
    const StaticAsset* a = find_asset(assets, file);
    server.Get(
        path, [a](const httplib::Request&, httplib::Response& res) { serve_asset(res, a, false); });
  }
  server.Get(R"(/static/([A-Za-z0-9._-]+))",
             [&assets](const httplib::Request& req, httplib::Response& res) {
               const StaticAsset* a = find_asset(assets, req.matches[1].str());
               bool html = a && a->name.size() > 5 && a->name.substr(a->name.size() - 5) == ".html";
               serve_asset(res, a, !html);
             });
  server.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  server.Get("/api/overview", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, kWindowParams)) return;
    storage::TimeWindow w;
    json wj;
    if (!window(req, res, d, &w, &wj)) return;
    reply(req, res, d.overview(w, param(req, "host")), wj);
  });
  server.Get("/api/hosts", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"from", "to"})) return;
    storage::TimeWindow w;
    json wj;
    if (!window(req, res, d, &w, &wj)) return;
    reply(req, res, d.hosts(w), wj);
  });
  server.Get("/api/freshness", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {})) return;
    json f = d.freshness();
    // The pages show "error" in their banner to anyone; it is the database's message.
    if (f.contains("error")) {
      log::warn(kComponent, "freshness: the replica does not answer", {{"error", f["error"]}});
      f["error"] = "database unavailable";
    }
    send_json(res, 200, f);
  });
  server.Get("/api/gaps", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, kWindowParams)) return;
    storage::TimeWindow w;
    json wj;
    if (!window(req, res, d, &w, &wj)) return;
    reply(req, res, d.gaps(w, param(req, "host")), wj);
  });
  server.Get("/api/search", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res,
                      {"from", "to", "host", "unit", "priority", "q", "case", "limit", "after"}))
      return;
    storage::SearchQuery q;
    json wj;
    if (!window(req, res, d, &q.window, &wj)) return;
    q.host = param(req, "host");
    // As the agent's unit= and query -u: a name without a unit suffix means NAME.service.
    if (auto u = param(req, "unit")) q.unit = journal::complete_unit_name(*u);
    if (auto p = param(req, "priority")) {
      auto prio = journal::parse_priority(*p);
      if (!prio)
        return send_json_error(res, 400, "priority: " + prio.status().message(), "priority");
      q.max_priority = *prio;
    }
    q.text = param(req, "q").value_or("");
    if (auto c = param(req, "case")) {
      if (*c != "exact" && *c != "ignore")
        return send_json_error(res, 400, "case: must be 'ignore' or 'exact'", "case");
      q.exact_case = *c == "exact";
    }
    if (auto l = param(req, "limit")) {
      size_t n = 0;
      if (l->size() > 3 || l->find_first_not_of("0123456789") != std::string::npos ||
          (n = std::stoul(*l)) < 1 || n > 500) {
        return send_json_error(res, 400, "limit: must be an integer from 1 to 500", "limit");
      }
      q.limit = n;
    }
    if (auto a = param(req, "after")) {
      q.after = storage::SearchKey::parse(*a);
      if (!q.after) return send_json_error(res, 400, "after: not a search position", "after");
    }
    reply(req, res, d.search(q), wj);
  });
  server.Get("/api/entry", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"id"})) return;
    auto key = storage::SearchKey::parse(req.get_param_value("id"));
    if (!key) return send_json_error(res, 400, "id: not an entry id", "id");
    reply(req, res, d.entry(*key), json());
  });
  // The entries around one (docs/dashboard-api.md): id= with both sides, or a page further
  // from older= (before only) or newer= (after only).
  server.Get("/api/context", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"id", "older", "newer", "before", "after", "host", "unit"}))
      return;
    const char* from = nullptr;
    for (const char* name : {"id", "older", "newer"}) {
      if (!req.has_param(name)) continue;
      if (from) {
        return send_json_error(res, 400,
                               std::string(name) + ": give only one of id, older and newer", name);
      }
      from = name;
    }
    if (!from) return send_json_error(res, 400, "id: missing (or older, or newer)", "id");
    auto key = storage::SearchKey::parse(req.get_param_value(from));
    if (!key) return send_json_error(res, 400, std::string(from) + ": not an entry id", from);
    std::string_view which = from;
    for (const char* name : {"before", "after"}) {
      // A page on from older= reads only older entries, newer= only newer ones.
      if (req.has_param(name) && which == (std::string_view(name) == "before" ? "newer" : "older"))
        return send_json_error(res, 400, std::string(name) + ": not with " + from, name);
    }
    storage::ContextQuery q;
    q.at = *key;
    q.include_at = which == "id";
    size_t before = 0, after = 0;
    if (!context_count(req, res, "before", &before) || !context_count(req, res, "after", &after))
      return;
    if (which != "newer") q.before = before;
    if (which != "older") q.after = after;
    if (auto u = param(req, "unit")) q.unit = journal::complete_unit_name(*u);
    auto r = d.context(q);
    // host= is a check: the id names the host already.
    auto host = param(req, "host");
    if (r && host && !(*r)["host"].is_null() && (*r)["host"] != *host)
      return send_json_error(res, 400, "host: the entry is not on host " + *host, "host");
    reply(req, res, std::move(r), json());
  });
  server.Get("/healthz", [&reader](const httplib::Request&, httplib::Response& res) {
    Status s = reader.ping();
    json body = {{"status", "ok"}};
    if (!s.is_ok()) {
      // Probes come unauthenticated: the reason code here, the message (host, account) in the
      // log. An unreachable replica is already logged once per outage by the reader, so a
      // probe every few seconds adds only a debug line; other failures (a refused account)
      // are warnings each time.
      if (s.code() == StatusCode::kUnavailable) {
        log::debug(kComponent, "healthz: the database is unavailable", {{"error", s.to_string()}});
      } else {
        log::warn(kComponent, "healthz: the database check failed", {{"error", s.to_string()}});
      }
      body = {{"status", "unavailable"}, {"reason", reason_code(s.code())}};
    }
    add_credentials(body, reader);
    send_json(res, s.is_ok() ? 200 : 503, body);
  });
  server.Get("/metrics", [&metrics, &reader](const httplib::Request&, httplib::Response& res) {
    if (auto c = reader.credentials()) storage::update_credential_metrics(*c, "reader", metrics);
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });

  // The Credentials panel (docs/dashboard-api.md).
  server.Get("/api/credentials", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"from", "to"})) return;
    storage::TimeWindow w;
    json wj;
    if (param(req, "from") || param(req, "to")) {
      if (!window(req, res, d, &w, &wj)) return;
    } else {
      // Credentials are about now, not the newest logs: the default is the last 24 hours.
      w.to_usec = now_usec() + 1;
      w.from_usec = w.to_usec - 24ULL * 3600 * 1000000;
      wj = {{"from", w.from_usec}, {"to", w.to_usec}, {"default", true}};
    }
    reply(req, res, d.credentials(w), wj);
  });

  if (live) attach_live_routes(server, *live, metrics);

  install_json_error_handlers(server, kComponent);
  server.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    // Known routes only: a label per unknown path would let any client grow /metrics without
    // bound.
    static const std::set<std::string> kRoutes = {"/",
                                                  "/host",
                                                  "/search",
                                                  "/favicon.ico",
                                                  "/api/overview",
                                                  "/api/hosts",
                                                  "/api/gaps",
                                                  "/api/freshness",
                                                  "/api/search",
                                                  "/api/entry",
                                                  "/api/context",
                                                  "/context",
                                                  "/healthz",
                                                  "/metrics",
                                                  "/credentials",
                                                  "/api/credentials",
                                                  "/live",
                                                  "/api/live"};
    std::string path = kRoutes.count(req.path)              ? req.path
                       : req.path.rfind("/static/", 0) == 0 ? "/static"
                                                            : "other";
    metrics
        .counter("infralogs_serve_http_requests_total", "HTTP requests by path and status.",
                 {{"path", path}, {"code", std::to_string(res.status)}})
        .inc();
    log::debug(kComponent, "request",
               {{"remote", req.remote_addr}, {"path", req.path}, {"status", res.status}});
  });
}

}  // namespace infralogs::http
