#include "infralogs/http/dashboard_routes.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "infralogs/core/log.h"
#include "infralogs/http/server.h"
#include "infralogs/journal/query.h"

namespace infralogs::http {
namespace {

using nlohmann::json;
constexpr std::string_view kComponent = "serve";

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& parameter = "") {
  json body = {{"error", message}};
  if (!parameter.empty()) body["parameter"] = parameter;
  send_json(res, status, body);
}

int http_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
    case StatusCode::kPermissionDenied:
      return 503;
    default:
      return 500;
  }
}

// The parameters a request may carry; anything else is refused with 400.
bool check_params(const httplib::Request& req, httplib::Response& res,
                  const std::set<std::string>& allowed) {
  for (const auto& [key, value] : req.params) {
    if (!allowed.count(key)) {
      send_error(res, 400, key + ": unknown parameter", key);
      return false;
    }
    if (req.params.count(key) > 1) {
      send_error(res, 400, key + ": given more than once", key);
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
        send_error(res, 400, std::string(name) + ": " + t.status().message(), name);
        return false;
      }
      (std::string_view(name) == "from" ? from : to) = *t;
    }
  }
  bool is_default = false;
  auto r = d.window(from, to, &is_default);
  if (!r) {
    send_error(res, http_status(r.status()), r.status().message(),
               r.status().code() == StatusCode::kInvalidArgument ? "from" : "");
    return false;
  }
  *w = *r;
  *window_json = {{"from", w->from_usec}, {"to", w->to_usec}, {"default", is_default}};
  return true;
}

void reply(httplib::Response& res, Result<json> r, const json& window_json) {
  if (!r) {
    send_error(res, http_status(r.status()), r.status().message());
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
    send_error(res, 404, "not found");
    return;
  }
  res.set_header("Cache-Control", cache ? "public, max-age=3600" : "no-cache");
  res.set_content(std::string(a->body), std::string(a->content_type).c_str());
}

const std::set<std::string> kWindowParams = {"from", "to", "host"};

}  // namespace

void attach_dashboard_routes(httplib::Server& server, dashboard::Dashboard& d,
                             storage::LogReader& reader, MetricsRegistry& metrics,
                             const std::vector<StaticAsset>& assets) {
  server.set_default_headers({{"Content-Security-Policy", kDashboardCsp},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"}});

  for (const auto& [path, file] : {std::pair{"/", "index.html"}, std::pair{"/host", "host.html"},
                                   std::pair{"/search", "search.html"}}) {
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
    reply(res, d.overview(w, param(req, "host")), wj);
  });
  server.Get("/api/hosts", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"from", "to"})) return;
    storage::TimeWindow w;
    json wj;
    if (!window(req, res, d, &w, &wj)) return;
    reply(res, d.hosts(w), wj);
  });
  server.Get("/api/freshness", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {})) return;
    send_json(res, 200, d.freshness());
  });
  server.Get("/api/gaps", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, kWindowParams)) return;
    storage::TimeWindow w;
    json wj;
    if (!window(req, res, d, &w, &wj)) return;
    reply(res, d.gaps(w, param(req, "host")), wj);
  });
  server.Get("/api/search", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"from", "to", "host", "unit", "priority", "q", "limit", "after"}))
      return;
    storage::SearchQuery q;
    json wj;
    if (!window(req, res, d, &q.window, &wj)) return;
    q.host = param(req, "host");
    q.unit = param(req, "unit");
    if (auto p = param(req, "priority")) {
      auto prio = journal::parse_priority(*p);
      if (!prio) return send_error(res, 400, "priority: " + prio.status().message(), "priority");
      q.max_priority = *prio;
    }
    q.text = param(req, "q").value_or("");
    if (auto l = param(req, "limit")) {
      size_t n = 0;
      if (l->size() > 3 || l->find_first_not_of("0123456789") != std::string::npos ||
          (n = std::stoul(*l)) < 1 || n > 500) {
        return send_error(res, 400, "limit: must be an integer from 1 to 500", "limit");
      }
      q.limit = n;
    }
    if (auto a = param(req, "after")) {
      q.after = storage::SearchKey::parse(*a);
      if (!q.after) return send_error(res, 400, "after: not a search position", "after");
    }
    reply(res, d.search(q), wj);
  });
  server.Get("/api/entry", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!check_params(req, res, {"id"})) return;
    auto key = storage::SearchKey::parse(req.get_param_value("id"));
    if (!key) return send_error(res, 400, "id: not an entry id", "id");
    reply(res, d.entry(*key), json());
  });
  server.Get("/healthz", [&reader](const httplib::Request&, httplib::Response& res) {
    Status s = reader.ping();
    if (s.is_ok()) return send_json(res, 200, {{"status", "ok"}});
    send_json(res, 503, {{"status", "unavailable"}, {"reason", s.message()}});
  });
  server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });

  install_json_error_handlers(server, kComponent);
  server.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    // Known routes only: a label per unknown path would let any client grow /metrics without
    // bound.
    static const std::set<std::string> kRoutes = {
        "/",         "/host",          "/search",     "/favicon.ico", "/api/overview", "/api/hosts",
        "/api/gaps", "/api/freshness", "/api/search", "/api/entry",   "/healthz",      "/metrics"};
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
