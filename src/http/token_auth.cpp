#include "infralogs/http/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace infralogs::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

Status TokenFile::read_digests(const std::string& path, std::vector<Digest>* out, Stamp* stamp) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status::invalid_argument("token file " + path + ": " + std::strerror(errno));
  }
  stamp->mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  stamp->size = st.st_size;
  stamp->inode = st.st_ino;
  std::ifstream in(path);
  if (!in) return Status::invalid_argument("token file " + path + ": " + std::strerror(errno));
  std::string line;
  out->clear();
  while (std::getline(in, line)) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    out->push_back(sha256(t));
  }
  if (out->empty()) return Status::invalid_argument("token file " + path + " holds no token");
  return Status::ok();
}

Result<std::unique_ptr<TokenFile>> TokenFile::load(std::string path,
                                                   std::chrono::milliseconds recheck_every,
                                                   ClockFn clock) {
  std::unique_ptr<TokenFile> f(new TokenFile(std::move(path), recheck_every, std::move(clock)));
  Status s = read_digests(f->path_, &f->digests_, &f->stamp_);
  if (!s.is_ok()) return s;
  f->next_check_ = f->clock_() + f->recheck_every_;
  return f;
}

void TokenFile::maybe_reload() {
  auto now = clock_();
  if (now < next_check_) return;
  next_check_ = now + recheck_every_;
  struct stat st {};
  Stamp current;
  if (stat(path_.c_str(), &st) == 0) {
    current.mtime_ns =
        static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    current.size = st.st_size;
    current.inode = st.st_ino;
  }
  if (current == stamp_) return;
  std::vector<Digest> fresh;
  Stamp stamp;
  Status s = read_digests(path_, &fresh, &stamp);
  ++reloads_;
  if (!s.is_ok()) {
    reload_error_ = s.message();
    return;
  }
  reload_error_.clear();
  digests_ = std::move(fresh);
  stamp_ = stamp;
}

bool TokenFile::verify(std::string_view presented) {
  Digest d = sha256(presented);
  std::lock_guard<std::mutex> lock(mutex_);
  maybe_reload();
  // Compare with every token, without an early exit, so timing says nothing about which (or
  // whether one) matched.
  int match = 0;
  for (const Digest& t : digests_) match |= (CRYPTO_memcmp(t.data(), d.data(), d.size()) == 0);
  return match != 0;
}

size_t TokenFile::token_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return digests_.size();
}

size_t TokenFile::reload_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reloads_;
}

std::string TokenFile::last_reload_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reload_error_;
}

AuthRateLimiter::AuthRateLimiter(size_t max_failures, std::chrono::seconds window, ClockFn clock)
    : max_failures_(max_failures), window_(window), clock_(std::move(clock)) {}

bool AuthRateLimiter::allowed(const std::string& address, long* retry_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = windows_.find(address);
  if (it == windows_.end()) return true;
  auto now = clock_();
  auto end = it->second.start + window_;
  if (now >= end) {
    windows_.erase(it);
    return true;
  }
  if (it->second.failures < max_failures_) return true;
  auto wait = std::chrono::ceil<std::chrono::seconds>(end - now).count();
  *retry_after = wait < 1 ? 1 : static_cast<long>(wait);
  return false;
}

void AuthRateLimiter::record_failure(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock_();
  // Bound memory under a flood from many addresses: drop windows that have ended.
  if (windows_.size() > 10000) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = (now >= it->second.start + window_) ? windows_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = windows_.try_emplace(address, Window{now, 0});
  if (!inserted && now >= it->second.start + window_) it->second = Window{now, 0};
  ++it->second.failures;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::optional<std::string> token_from_authorization(std::string_view header) {
  header = trim(header);
  auto starts = [&](std::string_view scheme) {
    if (header.size() <= scheme.size()) return false;
    for (size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
    }
    return header[scheme.size()] == ' ';
  };
  if (starts("bearer")) {
    std::string_view t = trim(header.substr(7));
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }
  if (starts("basic")) {
    auto decoded = base64_decode(trim(header.substr(6)));
    if (!decoded) return std::nullopt;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return decoded->substr(colon + 1);
  }
  return std::nullopt;
}

}  // namespace infralogs::http
