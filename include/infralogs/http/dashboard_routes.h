#pragma once
// The dashboard's HTTP endpoints (docs/dashboard-api.md): the JSON API under /api/, the pages
// and their embedded static files, /healthz and /metrics. Every response carries a
// Content-Security-Policy that forbids inline and foreign script, and nosniff.

#include <httplib.h>

#include "infralogs/core/metrics.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/dashboard/live.h"
#include "infralogs/http/static_assets.h"
#include "infralogs/storage/log_reader.h"

namespace infralogs::http {

inline constexpr const char* kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Attaches the endpoints. The references must outlive the server. Also replaces the server's
// default headers (the CSP and the other security headers above), its error and exception
// handlers (JSON bodies, install_json_error_handlers) and its logger (request metrics, known
// routes only); it sets no pre-routing handler. Call it once per server, and not with
// attach_agent_routes on the same server. With `live`, also GET /api/live (live_routes.h).
void attach_dashboard_routes(httplib::Server& server, dashboard::Dashboard& dashboard,
                             storage::LogReader& reader, MetricsRegistry& metrics,
                             const std::vector<StaticAsset>& assets,
                             dashboard::LiveHub* live = nullptr);

}  // namespace infralogs::http
