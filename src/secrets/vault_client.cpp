#include "infralogs/secrets/vault_client.h"

#include <httplib.h>

#include <fstream>
#include <regex>

#include "vault_responses.h"

namespace infralogs::secrets {
namespace {

using nlohmann::json;

std::string joined_errors(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array()) return "";
  std::string out;
  for (const json& e : j["errors"]) {
    if (!e.is_string()) continue;
    std::string s = e.get<std::string>();
    // Vault's multierror text ("1 error occurred:\n\t* permission denied\n\n") on one line.
    std::string flat;
    for (char c : s) {
      bool space = c == '\n' || c == '\t' || c == ' ';
      if (space && (flat.empty() || flat.back() == ' ')) continue;
      flat += space ? ' ' : c;
    }
    while (!flat.empty() && flat.back() == ' ') flat.pop_back();
    s = flat;
    if (!out.empty()) out += "; ";
    out += s;
  }
  return out;
}

template <typename D>
std::pair<time_t, time_t> sec_usec(D d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return {static_cast<time_t>(us / 1000000), static_cast<time_t>(us % 1000000)};
}

// httplib's error names ("Connection", "Read") read poorly in a log line.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "no answer (read failed or timed out)";
    case httplib::Error::Write:
      return "write failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA file";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

Status vault_error_status(const std::string& method, const std::string& path, int http_status,
                          const std::string& body) {
  std::string msg = "vault " + method + " " + path + ": HTTP " + std::to_string(http_status);
  std::string errors = joined_errors(body);
  if (!errors.empty()) msg += ": " + errors;
  switch (http_status) {
    case 400:
      return Status::invalid_argument(msg);
    case 403:
      return Status::permission_denied(msg);
    case 404:
      return Status::not_found(msg);
    case 429:
      return Status::unavailable(msg);
    default:
      if (http_status >= 500) return Status::unavailable(msg);
      return Status::internal(msg);
  }
}

Status parse_vault_envelope(const std::string& body, VaultResponse* out) {
  if (body.empty()) return Status::ok();  // 204
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return Status::corruption("vault answered with a body that is not JSON");
  out->data = j.value("data", json());
  if (j.contains("lease_id") && j["lease_id"].is_string()) out->lease_id = j["lease_id"];
  // Clamped: a lease of 2^63 s would overflow the refresh thread's clock arithmetic.
  out->lease_duration = vault_seconds(j, "lease_duration");
  if (j.contains("renewable") && j["renewable"].is_boolean()) out->renewable = j["renewable"];
  if (j.contains("warnings") && j["warnings"].is_array()) {
    for (const json& w : j["warnings"]) {
      if (w.is_string()) out->warnings.push_back(w.get<std::string>());
    }
  }
  out->auth = j.value("auth", json());
  return Status::ok();
}

Result<std::unique_ptr<VaultClient>> VaultClient::create(VaultClientOptions options) {
  static const std::regex kAddress(R"(^https?://[^/\s:]+(:[0-9]+)?/?$)");
  if (!std::regex_match(options.address, kAddress)) {
    return Status::invalid_argument("vault address \"" + options.address +
                                    "\" is not http(s)://host[:port]");
  }
  if (!options.address.empty() && options.address.back() == '/') options.address.pop_back();
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file)) {
    return Status::invalid_argument("vault CA file " + options.ca_file + " cannot be read");
  }
  return std::unique_ptr<VaultClient>(new VaultClient(std::move(options)));
}

void VaultClient::set_token(std::string token) {
  MutexLock lock(mu_);
  token_ = std::move(token);
}

bool VaultClient::has_token() const {
  MutexLock lock(mu_);
  return !token_.empty();
}

std::string VaultClient::token() const {
  MutexLock lock(mu_);
  return token_;
}

Status VaultClient::read(const std::string& path, VaultResponse* out) {
  return request("GET", path, nullptr, token(), out);
}

Status VaultClient::write(const std::string& path, const json& body, VaultResponse* out) {
  return request("PUT", path, &body, token(), out);
}

Status VaultClient::write_with_token(const std::string& path, const json& body,
                                     const std::string& token, VaultResponse* out) {
  return request("PUT", path, &body, token, out);
}

Status VaultClient::read_with_token(const std::string& path, const std::string& token,
                                    VaultResponse* out) {
  return request("GET", path, nullptr, token, out);
}

Status VaultClient::list(const std::string& path, VaultResponse* out) {
  return request("LIST", path, nullptr, token(), out);
}

Status VaultClient::request(const std::string& method, const std::string& path, const json* body,
                            const std::string& token, VaultResponse* out) {
  *out = VaultResponse();
  httplib::Client cli(options_.address);
  auto [cs, cu] = sec_usec(options_.connect_timeout);
  auto [rs, ru] = sec_usec(options_.request_timeout);
  cli.set_connection_timeout(cs, cu);
  cli.set_read_timeout(rs, ru);
  cli.set_write_timeout(rs, ru);
  if (options_.address.rfind("https://", 0) == 0) {
    if (!options_.ca_file.empty()) cli.set_ca_cert_path(options_.ca_file.c_str());
    cli.enable_server_certificate_verification(options_.verify_tls);
  }
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("X-Vault-Token", token);
  if (!options_.vault_namespace.empty())
    headers.emplace("X-Vault-Namespace", options_.vault_namespace);
  std::string url = "/v1/" + path;
  httplib::Result res = [&] {
    if (method == "GET") return cli.Get(url, headers);
    // httplib refuses unknown verbs; Vault accepts ?list=true on a GET as the same operation.
    if (method == "LIST") return cli.Get(url + "?list=true", headers);
    return cli.Put(url, headers, body ? body->dump() : std::string("{}"), "application/json");
  }();
  if (!res) {
    return Status::unavailable("vault " + method + " " + path + ": " + describe(res.error()) +
                               " (" + options_.address + ")");
  }
  out->http_status = res->status;
  if (res->status == 429) {
    std::string ra = res->get_header_value("Retry-After");
    char* end = nullptr;
    long secs = std::strtol(ra.c_str(), &end, 10);
    if (!ra.empty() && end && *end == '\0' && secs >= 0)
      out->retry_after = std::chrono::seconds(std::min<long>(secs, kMaxVaultSeconds));
  }
  if (res->status < 200 || res->status >= 300) {
    Status s = vault_error_status(method, path, res->status, res->body);
    if (out->retry_after) {
      return Status::unavailable(s.message() + " (retry after " +
                                 std::to_string(out->retry_after->count()) + " s)");
    }
    return s;
  }
  Status s = parse_vault_envelope(res->body, out);
  if (!s.is_ok()) return Status::corruption("vault " + method + " " + path + ": " + s.message());
  return Status::ok();
}

}  // namespace infralogs::secrets
