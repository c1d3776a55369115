// BodyLines, the reader under HttpAgentClient's fetch() and follow(): the same lines however
// the body is cut into chunks, plain or gzip, and a clear error for each way a body is bad.

#include "wire/body_lines.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using infralogs::Status;
using infralogs::wire::BodyLines;

namespace {

std::string gzip(const std::string& text) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct Read {
  std::vector<std::string> lines;
  Status error = Status::ok();
  Status end = Status::ok();
  bool completed = true;  // every feed returned true
};

// `body` fed in chunks of `chunk` bytes, as httplib hands a response over.
Read read(const std::string& body, const std::string& encoding, size_t chunk,
          size_t max_line_bytes = 1 << 20, size_t stop_after = SIZE_MAX) {
  Read r;
  BodyLines lines(max_line_bytes, r.error);
  if (!lines.start(encoding)) {
    r.completed = false;
    return r;
  }
  for (size_t at = 0; at < body.size() && r.completed; at += chunk) {
    std::string_view part(body.data() + at, std::min(chunk, body.size() - at));
    r.completed = lines.inflate(part.data(), part.size(), [&](const char* d, size_t n) {
      return lines.split(d, n, [&](std::string_view line) {
        r.lines.emplace_back(line);
        return r.lines.size() < stop_after;
      });
    });
  }
  r.end = lines.check_end("GET /logs: ");
  return r;
}

const std::string kBody = "{\"a\":1}\n\n{\"b\":\"" + std::string(3000, 'x') + "\"}\n{\"c\":3}\n";
const std::vector<std::string> kLines = {"{\"a\":1}", "{\"b\":\"" + std::string(3000, 'x') + "\"}",
                                         "{\"c\":3}"};

}  // namespace

TEST_CASE("BodyLines gives the same lines in any chunking, plain or gzip", "[wire]") {
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, kBody.size()}) {
    INFO("chunk " << chunk);
    for (const char* encoding : {"", "identity"}) {
      Read r = read(kBody, encoding, chunk);
      CHECK(r.completed);
      CHECK(r.error.is_ok());
      CHECK(r.end.is_ok());
      CHECK(r.lines == kLines);  // the empty line (a follow heartbeat) is skipped
    }
    Read z = read(gzip(kBody), "gzip", chunk);
    CHECK(z.completed);
    CHECK(z.error.is_ok());
    CHECK(z.end.is_ok());
    CHECK(z.lines == kLines);
  }
}

TEST_CASE("BodyLines stops when the line handler says so", "[wire]") {
  Read r = read(kBody, "", kBody.size(), 1 << 20, 1);
  CHECK_FALSE(r.completed);
  CHECK(r.lines == std::vector<std::string>{kLines[0]});
  CHECK(r.end.is_ok());  // the line it stopped at is not left pending
}

TEST_CASE("BodyLines names each way a body is bad", "[wire]") {
  Read longer = read(kBody, "", 100, 2000);
  CHECK_FALSE(longer.completed);
  CHECK(longer.error.message() == "a line longer than 2000 bytes");
  CHECK(longer.lines == std::vector<std::string>{kLines[0]});

  Read inside = read(kBody.substr(0, kBody.size() - 3), "", 64);
  CHECK(inside.completed);
  CHECK(inside.end.message() == "GET /logs: the response ended inside a line (truncated)");

  std::string z = gzip(kBody);
  Read cut = read(z.substr(0, z.size() - 4), "gzip", 64);  // every line, not the trailer
  CHECK(cut.error.is_ok());
  CHECK(cut.end.message() == "GET /logs: the gzip stream ended early (truncated)");

  Read bad = read("not gzip at all\n", "gzip", 64);
  CHECK_FALSE(bad.completed);
  CHECK(bad.error.message().rfind("bad gzip data: ", 0) == 0);

  Read br = read(kBody, "br", 64);
  CHECK_FALSE(br.completed);
  CHECK(br.error.message() == "unexpected Content-Encoding 'br'");
}
