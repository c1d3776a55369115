#include "infralogs/http/json_response.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using namespace infralogs;
using nlohmann::json;

TEST_CASE("http_status maps every StatusCode by whose fault it is and whether retrying helps",
          "[http]") {
  struct Row {
    Status status;
    int http;
    const char* reason;
  };
  // Every StatusCode: a new code must be added here, and to the table in json_response.h.
  const Row rows[] = {
      {Status::ok(), 200, "ok"},
      {Status::invalid_argument("x"), 400, "invalid_argument"},
      {Status::not_found("x"), 404, "not_found"},
      {Status::unavailable("x"), 503, "unavailable"},
      {Status::permission_denied("x"), 503, "permission_denied"},
      {Status::aborted("x"), 503, "aborted"},
      {Status::corruption("x"), 500, "corruption"},
      {Status::internal("x"), 500, "internal"},
  };
  for (const Row& r : rows) {
    INFO(status_code_name(r.status.code()));
    CHECK(http::http_status(r.status) == r.http);
    CHECK(http::reason_code(r.status.code()) == r.reason);
  }
}

TEST_CASE("send_json writes one line of application/json with the status", "[http]") {
  httplib::Response res;
  http::send_json(res, 201, {{"a", 1}, {"b", "two"}});
  CHECK(res.status == 201);
  CHECK(res.get_header_value("Content-Type") == "application/json");
  CHECK(res.body == "{\"a\":1,\"b\":\"two\"}\n");
}

TEST_CASE("send_json_error names the parameter only when there is one", "[http]") {
  httplib::Response res;
  http::send_json_error(res, 400, "limit: must be an integer", "limit");
  CHECK(res.status == 400);
  CHECK(res.get_header_value("Content-Type") == "application/json");
  CHECK(json::parse(res.body) ==
        json{{"error", "limit: must be an integer"}, {"parameter", "limit"}});

  httplib::Response plain;
  http::send_json_error(plain, 503, "database unavailable");
  CHECK(plain.status == 503);
  CHECK(json::parse(plain.body) == json{{"error", "database unavailable"}});
}

TEST_CASE("invalid UTF-8 in a body is replaced, not thrown", "[http]") {
  // A journal cursor or field name a client sent may be any bytes; echoing it back in an error
  // must not make nlohmann throw (which would turn a 400 into a 500).
  const std::string bad = "not a cursor: '\xff\xfe'";
  httplib::Response res;
  REQUIRE_NOTHROW(http::send_json_error(res, 400, bad, "after"));
  CHECK(res.status == 400);
  json body = json::parse(res.body);
  CHECK(body["error"] == "not a cursor: '\xEF\xBF\xBD\xEF\xBF\xBD'");  // two U+FFFD
  CHECK(body["parameter"] == "after");

  httplib::Response nested;
  REQUIRE_NOTHROW(http::send_json(nested, 200, {{"list", {"ok", "\xc3"}}}));
  CHECK(json::parse(nested.body)["list"][1] == "\xEF\xBF\xBD");
}
