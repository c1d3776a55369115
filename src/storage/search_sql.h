#pragma once
// The pieces of MariaDbLogReader::search: the plan, the SELECT for a page, when a time walk's
// result can be used, and the page from the rows. Private to src/storage/. Pure functions:
// thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infralogs/storage/log_reader.h"
#include "mariadb_rows.h"
#include "sql_builder.h"

namespace infralogs::storage {

// How a search reads entries.
enum class SearchPlan {
  // Walk the time index newest first and stop at the page's last row, examining at most a
  // budget of rows. Without a host or unit the planner would start from hosts and read each
  // host's whole window before sorting; the walk takes milliseconds when matches are common.
  kTimeWalk,
  // One time slice (the window of the query given), read newest first along the index that
  // holds its filter in time order: ix_entries_host_time with a host, else ix_entries_unit_time
  // with a unit, else ix_entries_time, so a slice stops at the page's last row. Left to the
  // planner, a slice with a unit read every row of the unit in the slice and sorted them by the
  // full key (the primary key's columns in a secondary index are not used for ORDER BY on a
  // partitioned table) before it could return the first row.
  kSlice,
};

// The plan a search tries first: kTimeWalk without host and unit, else kSlice (in time slices). A
// page that continues a partial one (q.after a resume key) goes straight to the time slices: its
// predecessor ran out of time, so matches are sparse and the walk would only spend the budget.
SearchPlan first_plan(const SearchQuery& q);

// The time limit of the walk: a third of the budget (at least 1 ms), so that a walk that finds
// too little leaves the slices two thirds of it. Capped at the whole budget, a walk under load
// spent all of it and each page then read only its first slice (one minute of the day).
double walk_limit_ms(unsigned budget_ms);

// Whether `q` matches its text case-insensitively in SQL: not exact_case, `text` is valid UTF-8
// (else its bytes could not be folded: it is matched exactly), and it has a letter or any
// non-ASCII character (text of digits and punctuation matches the same either way, and the
// byte comparison is several times cheaper).
bool caseless_text(const SearchQuery& q);

// The PCRE2 pattern that finds `text` literally and case-insensitively: "(?i)\Q" text "\E",
// each "\E" inside it spelled "\E\\E\Q" so it stays literal. No other character of a
// pattern is special between \Q and \E, and LIKE's % _ \ are not involved.
std::string caseless_pattern(const std::string& text);

// The SELECT of one page of `q` with `plan`: up to q.limit + 1 rows (one more shows whether
// another page exists) of (realtime, host id, seqnum ID, seqnum, host, priority, unit,
// identifier, pid, message), newest first. `walk_rows` is kTimeWalk's budget.
SqlBuilder search_statement(const SearchQuery& q, SearchPlan plan, size_t walk_rows);

// Whether a kTimeWalk result is the answer: it filled the page (a prefix of the walk's order is
// right however the walk ended), or it ended without running out of its rows (no warning) in
// less time than its statement limit (`within_time_limit`). MariaDB reports a LIMIT ROWS
// EXAMINED stop by a warning, but when max_statement_time expires just after such a stop the
// statement can end with neither the warning nor an error: a search with a 1 ms limit on a
// loaded machine lost every row past such a page. Otherwise ask again with kSlice.
bool walk_answered(size_t rows, unsigned int warnings, size_t limit, bool within_time_limit);

// The key that, as `after`, continues a search just before `usec`: every row older than it
// and none at it. It is host 0 (no host has id 0: AUTO_INCREMENT starts at 1) with an all-zero
// seqnum ID, and its seqnum carries `slice_usec`, the span the next page's first time slice
// should take (0: the default, search_first_slice_usec), so a chain of partial pages keeps the
// slice size it has learnt instead of starting again from one minute on every page.
SearchKey resume_key(uint64_t usec, uint64_t slice_usec = 0);

// Whether `key` is a resume_key (host 0, all-zero seqnum ID) rather than a row's key.
bool is_resume_key(const SearchKey& key);

// The first slice's span a resume key asks for; nullopt for a row's key or a resume key that
// asks for none (seqnum 0, as keys handed out before it carried one).
std::optional<uint64_t> carried_slice_usec(const std::optional<SearchKey>& after);

// Where a page of `q` ends (exclusive): the window's end, or before `after` when it is set
// (a row's key: its time + 1, the key order deciding at that time; a resume key: its time).
uint64_t search_end_usec(const SearchQuery& q);

// The span of the next time slice of a sliced search, after a slice of `span` µs took
// `took_ms` with `left_ms` of the budget left: aims at a third of the time left, growing at most 4x
// and shrinking at most 4x per slice, and never below one second.
uint64_t next_slice_usec(uint64_t span, double took_ms, double left_ms);

// The span a partial page hands on (resume_key) after its last slice of `span` µs took
// `took_ms` (a slice the deadline stopped: at least that): next_slice_usec aimed at a third of
// a whole budget, the share of the next page's first slice, which is never stopped. With a
// budget of 0 (one slice per page) 4x the span: time does not limit such a page.
uint64_t carried_slice_usec(uint64_t span, double took_ms, unsigned budget_ms);

// The page made of search_statement's rows: the first `limit`, and `next` set to the last
// one's key when there were more. kCorruption when a row does not parse.
Result<SearchPage> search_page(const std::vector<Row>& rows, size_t limit);

}  // namespace infralogs::storage
