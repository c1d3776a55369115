#pragma once
// GET /api/live (docs/dashboard-api.md): the live view's Server-Sent Events stream over a
// dashboard::LiveHub. attach_dashboard_routes attaches it when given a hub.

#include <httplib.h>

#include <chrono>

#include "infralogs/core/metrics.h"
#include "infralogs/dashboard/live.h"

namespace infralogs::http {

struct LiveRouteOptions {
  std::chrono::milliseconds heartbeat{15000};  // a comment line after this long without a write
  std::chrono::milliseconds lag_every{1000};   // a `lag` event this often
};

// Attaches GET /api/live?host=&unit=&priority= (each optional, as /api/search's). Events:
// `entry` (id: resumable with Last-Event-ID), `lag`, `reset` (entries may be missing before
// the next one), `warning` (the backlog could not be read), `end` (serve is stopping; the
// response then ends). 503 {"reason": "too_many_streams"} with Retry-After when the hub has
// its maximum open. Sets infralogs_serve_live_streams (gauge). The references must outlive the
// server; stop the hub before stopping the server, so that streams end at once.
void attach_live_routes(httplib::Server& server, dashboard::LiveHub& hub, MetricsRegistry& metrics,
                        LiveRouteOptions options = {});

}  // namespace infralogs::http
