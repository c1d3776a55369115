#include "infralogs/http/live_routes.h"

#include <memory>
#include <set>
#include <string>

#include "infralogs/core/log.h"
#include "infralogs/http/json_response.h"
#include "infralogs/journal/query.h"

namespace infralogs::http {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string event(std::string_view name, const json& data, const std::string& id = "") {
  std::string out;
  if (!id.empty()) out += "id: " + id + "\n";
  out += "event: ";
  out += name;
  // dump() escapes newlines, so the data is one line; a stored value that is not UTF-8 was
  // made a byte array already (text_or_bytes): replace is only a guard.
  out += "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
  return out;
}

// The filter from the request; false (with the response set) on a bad parameter.
bool parse_filter(const httplib::Request& req, httplib::Response& res, dashboard::LiveFilter* f) {
  static const std::set<std::string> kAllowed = {"host", "unit", "priority"};
  for (const auto& [key, value] : req.params) {
    if (!kAllowed.count(key)) {
      send_json_error(res, 400, key + ": unknown parameter", key);
      return false;
    }
    if (req.params.count(key) > 1) {
      send_json_error(res, 400, key + ": given more than once", key);
      return false;
    }
    if (value.empty()) continue;
    if (key == "host") f->host = value;
    // As /api/search: a name without a unit suffix means NAME.service.
    if (key == "unit") f->unit = journal::complete_unit_name(value);
    if (key == "priority") {
      auto p = journal::parse_priority(value);
      if (!p) {
        send_json_error(res, 400, "priority: " + p.status().message(), "priority");
        return false;
      }
      f->max_priority = *p;
    }
  }
  return true;
}

}  // namespace

void attach_live_routes(httplib::Server& server, dashboard::LiveHub& hub, MetricsRegistry& metrics,
                        LiveRouteOptions options) {
  Gauge& open = metrics.gauge("infralogs_serve_live_streams", "Open /api/live streams.");
  server.Get("/api/live", [&hub, &metrics, &open, options](const httplib::Request& req,
                                                           httplib::Response& res) {
    dashboard::LiveFilter filter;
    if (!parse_filter(req, res, &filter)) return;
    std::optional<std::string> last_id;
    if (req.has_header("Last-Event-ID") && !req.get_header_value("Last-Event-ID").empty())
      last_id = req.get_header_value("Last-Event-ID");
    std::unique_ptr<dashboard::LiveHub::Stream> stream = hub.open(filter, last_id);
    if (!stream) {
      metrics
          .counter("infralogs_serve_live_refused_total",
                   "/api/live streams refused: the maximum was open.")
          .inc();
      res.set_header("Retry-After", "5");
      send_json(res, 503,
                {{"error", "too many live streams; retry later"}, {"reason", "too_many_streams"}});
      return;
    }
    open.set(static_cast<double>(hub.open_streams()));
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    struct State {
      std::unique_ptr<dashboard::LiveHub::Stream> stream;  // released with the response
      Clock::time_point last_write = Clock::now();
      Clock::time_point last_lag{};
      bool first = true;
    };
    auto state = std::make_shared<State>();
    state->stream = std::move(stream);
    res.set_chunked_content_provider(
        "text/event-stream",
        [state, options](size_t, httplib::DataSink& sink) {
          dashboard::LiveHub::Stream* stream = state->stream.get();
          std::string out;
          if (state->first) {
            state->first = false;
            out += "retry: 2000\n\n";  // reconnect soon after serve restarts
          }
          Clock::time_point now = Clock::now();
          auto until_lag = state->last_lag + options.lag_every - now;
          auto until_beat = state->last_write + options.heartbeat - now;
          auto wait = std::max(Clock::duration::zero(), std::min(until_lag, until_beat));
          dashboard::LiveHub::Batch b =
              out.empty()
                  ? stream->next(std::chrono::duration_cast<std::chrono::milliseconds>(wait))
                  : stream->next(std::chrono::milliseconds(0));
          if (b.stopped) {
            out += event("end", {{"reason", "serve is stopping"}});
            bool ok = sink.write(out.data(), out.size());
            if (ok) sink.done();
            return ok;
          }
          if (!b.reset.empty()) out += event("reset", {{"reason", b.reset}});
          if (!b.error.is_ok()) {
            log::warn("serve", "live: cannot read the backlog", {{"error", b.error.to_string()}});
            out += event("warning", {{"error", "database unavailable"},
                                     {"reason", reason_code(b.error.code())}});
          }
          for (const auto& e : b.entries)
            out += event("entry", dashboard::live_entry_json(e), stream->event_id(e));
          now = Clock::now();
          if (now >= state->last_lag + options.lag_every) {
            out += event("lag", dashboard::live_lag_json(stream->lag()));
            state->last_lag = now;
          }
          if (out.empty() && now >= state->last_write + options.heartbeat) out = ": heartbeat\n\n";
          if (out.empty()) return true;
          state->last_write = now;
          // A client that stops reading blocks this write for the server's write timeout,
          // then the stream ends: nothing is buffered for it beyond the socket's.
          return sink.write(out.data(), out.size());
        },
        // httplib calls this when the response is destroyed (done, or the client went away).
        [&hub, &open, state](bool) {
          state->stream.reset();
          open.set(static_cast<double>(hub.open_streams()));
        });
  });
}

}  // namespace infralogs::http
