// Reading an agent's NDJSON response body as it arrives (private to wire: fetch() and follow()
// of HttpAgentClient).
#pragma once

#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs::wire {

// A response body read as it arrives: inflated when it is gzip, cut at '\n' into lines of at
// most max_line_bytes, each non-empty line handed to on_line(std::string_view), which returns
// false to stop reading. fetch() and follow() read their NDJSON this way; what goes wrong is
// put in `error`.
class BodyLines {
 public:
  BodyLines(size_t max_line_bytes, Status& error)
      : max_line_bytes_(max_line_bytes), error_(error) {}

  // From the response's Content-Encoding: false (error set) for one this cannot read.
  bool start(const std::string& encoding) {
    if (encoding == "gzip") {
      inflater_.reset(new z_stream{});
      if (inflateInit2(inflater_.get(), 16 + MAX_WBITS) != Z_OK) {
        error_ = Status::internal("zlib inflateInit2 failed");
        return false;
      }
    } else if (!encoding.empty() && encoding != "identity") {
      error_ = Status::corruption("unexpected Content-Encoding '" + encoding + "'");
      return false;
    }
    return true;
  }

  // The body's next bytes as they came, inflated when gzip, given to on_bytes(data, size)
  // (which returns false to stop). zlib's inflate gives all the output it can whatever the
  // flush mode, so a follow stream's flushed batch comes out at once.
  template <typename OnBytes>
  bool inflate(const char* data, size_t size, OnBytes on_bytes) {
    if (!inflater_) return on_bytes(data, size);
    z_stream& z = *inflater_;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z.avail_in = static_cast<uInt>(size);
    inflated_.resize(256 << 10);
    while (z.avail_in > 0 && !stream_ended_) {
      z.next_out = reinterpret_cast<Bytef*>(inflated_.data());
      z.avail_out = static_cast<uInt>(inflated_.size());
      int rc = ::inflate(&z, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        error_ =
            Status::corruption(std::string("bad gzip data: ") + (z.msg ? z.msg : "inflate failed"));
        return false;
      }
      size_t produced = inflated_.size() - z.avail_out;
      if (produced > 0 && !on_bytes(inflated_.data(), produced)) return false;
      if (rc == Z_STREAM_END) stream_ended_ = true;
      if (rc == Z_BUF_ERROR && produced == 0) break;
    }
    return true;
  }

  // Decoded bytes into lines. A line within one chunk is passed in place, not copied.
  template <typename OnLine>
  bool split(const char* data, size_t size, OnLine on_line) {
    const char* end = data + size;
    while (data < end) {
      const char* nl =
          static_cast<const char*>(std::memchr(data, '\n', static_cast<size_t>(end - data)));
      size_t take = nl ? static_cast<size_t>(nl - data) : static_cast<size_t>(end - data);
      if (pending_.size() + take > max_line_bytes_) {
        error_ =
            Status::corruption("a line longer than " + std::to_string(max_line_bytes_) + " bytes");
        return false;
      }
      if (!nl) {
        pending_.append(data, take);
        return true;
      }
      std::string_view line;
      if (pending_.empty()) {
        line = std::string_view(data, take);
      } else {
        pending_.append(data, take);
        line = pending_;
      }
      bool go_on = line.empty() || on_line(line);
      pending_.clear();
      if (!go_on) return false;
      data = nl + 1;
    }
    return true;
  }

  // A body that ended inside a line or inside its gzip stream was cut short.
  Status check_end(const std::string& where) const {
    if (!pending_.empty())
      return Status::corruption(where + "the response ended inside a line (truncated)");
    if (inflater_ && !stream_ended_ && inflater_->total_in > 0)
      return Status::corruption(where + "the gzip stream ended early (truncated)");
    return Status::ok();
  }

 private:
  size_t max_line_bytes_;
  Status& error_;
  std::unique_ptr<z_stream, void (*)(z_stream*)> inflater_{nullptr, [](z_stream* z) {
                                                             inflateEnd(z);
                                                             delete z;
                                                           }};
  std::string pending_;  // the part of a line not yet ended by '\n'
  std::string inflated_;
  bool stream_ended_ = false;
};

}  // namespace infralogs::wire
