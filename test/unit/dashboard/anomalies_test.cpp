#include "infralogs/dashboard/anomalies.h"

#include <catch2/catch.hpp>
#include <set>

using namespace infralogs;

namespace {

constexpr uint64_t kHour = 3600ULL * 1000000ULL;

// `hours` hours of `base` entries (and base/10 errors) for vm-1/nginx, starting at hour 1000.
std::vector<storage::HostUnitHour> steady(size_t hours, uint64_t base) {
  std::vector<storage::HostUnitHour> cells;
  for (size_t h = 0; h < hours; ++h)
    cells.push_back({(1000 + h) * kHour, "vm-1", "nginx.service", base + h % 3, base / 10});
  return cells;
}

}  // namespace

TEST_CASE("a jump far above a pair's own baseline is flagged", "[dashboard]") {
  auto cells = steady(48, 100);
  cells.push_back({1048 * kHour, "vm-1", "nginx.service", 900, 300});
  auto found = dashboard::find_anomalies(cells, {1040 * kHour, 1049 * kHour}, {});
  REQUIRE(found.size() == 2);
  CHECK(found[0].hour_usec == 1048 * kHour);
  CHECK(found[0].host == "vm-1");
  CHECK(found[0].unit == "nginx.service");
  std::set<std::string> kinds = {found[0].kind, found[1].kind};
  CHECK(kinds == std::set<std::string>{"volume", "errors"});
  for (const auto& a : found) CHECK(a.score >= 4);
}

TEST_CASE("steady traffic, small counts and pairs without a baseline are not flagged",
          "[dashboard]") {
  dashboard::AnomalyOptions o;
  CHECK(dashboard::find_anomalies(steady(72, 100), {1040 * kHour, 1072 * kHour}, o).empty());
  // Tiny counts: 0 -> 15 is a big ratio but under min_count.
  auto small = steady(48, 0);
  small.push_back({1048 * kHour, "vm-1", "nginx.service", 15, 0});
  CHECK(dashboard::find_anomalies(small, {1040 * kHour, 1049 * kHour}, o).empty());
  // A pair seen for the first time two hours ago has no baseline yet.
  std::vector<storage::HostUnitHour> fresh = {{1046 * kHour, "vm-2", "new.service", 5, 0},
                                              {1047 * kHour, "vm-2", "new.service", 5000, 0}};
  CHECK(dashboard::find_anomalies(fresh, {1040 * kHour, 1049 * kHour}, o).empty());
}

TEST_CASE("only hours inside the window are reported", "[dashboard]") {
  auto cells = steady(48, 100);
  cells.push_back({1030 * kHour, "vm-1", "nginx.service", 5000, 0});
  CHECK(dashboard::find_anomalies(cells, {1040 * kHour, 1048 * kHour}, {}).empty());
  // The positive control: the same spike is found by a window that holds its hour.
  auto found = dashboard::find_anomalies(cells, {1025 * kHour, 1048 * kHour}, {});
  REQUIRE(found.size() == 1);
  CHECK(found[0].hour_usec == 1030 * kHour);
  CHECK(found[0].kind == "volume");
}
