#include "infralogs/http/json_response.h"

namespace infralogs::http {

int http_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
    case StatusCode::kPermissionDenied:
    case StatusCode::kAborted:
      return 503;
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string reason_code(StatusCode code) {
  // status_code_name's words with '_' for ' ': one spelling of each code in the tree.
  std::string name = status_code_name(code);
  for (char& c : name) {
    if (c == ' ') c = '_';
  }
  return name;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void send_json_error(httplib::Response& res, int status, const std::string& message,
                     const std::string& parameter) {
  nlohmann::json body = {{"error", message}};
  if (!parameter.empty()) body["parameter"] = parameter;
  send_json(res, status, body);
}

}  // namespace infralogs::http
