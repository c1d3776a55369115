// rotate::generate_password: length, alphabet, and no repeats (it draws from RAND_bytes).

#include <catch2/catch.hpp>
#include <set>

#include "infralogs/rotate/rotator.h"

namespace infralogs::rotate {

TEST_CASE("generate_password gives distinct alphanumeric passwords of the length asked",
          "[rotate]") {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 200; ++i) {
    std::string p = generate_password();
    CHECK(p.size() == 32);
    for (char c : p) {
      CHECK(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')));
      chars.insert(c);
    }
    seen.insert(p);
  }
  CHECK(seen.size() == 200);
  CHECK(chars.size() == 62);  // 6400 draws reach every symbol
  CHECK(generate_password(100).size() == 100);
}

}  // namespace infralogs::rotate
