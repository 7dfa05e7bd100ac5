// Unit tests for http/timestamp: the accepted RFC 3339 forms, range checks, offsets, and the
// canonical output format.
#include "store/timestamp.hpp"

#include <catch2/catch.hpp>

using sluice::format_timestamp;
using sluice::parse_timestamp;

namespace {
constexpr int64_t sec = 1'000'000;
// 2026-01-01T15:12:11Z
constexpr int64_t example = 1767280331 * sec;
}  // namespace

TEST_CASE("timestamp: parses RFC 3339 with Z", "[timestamp]") {
  CHECK(parse_timestamp("1970-01-01T00:00:00Z") == int64_t{0});
  CHECK(parse_timestamp("2026-01-01T15:12:11Z") == example);
  CHECK(parse_timestamp("2000-03-01T00:00:00Z") == int64_t{951868800} * sec);
  CHECK(parse_timestamp("9999-12-31T23:59:59Z") == int64_t{253402300799} * sec);
}

TEST_CASE("timestamp: lowercase t and z are accepted", "[timestamp]") {
  CHECK(parse_timestamp("2026-01-01t15:12:11z") == example);
  CHECK(parse_timestamp("2026-01-01T15:12:11z") == example);
  CHECK(parse_timestamp("2026-01-01t15:12:11Z") == example);
}

TEST_CASE("timestamp: space separated form without zone is read as UTC", "[timestamp]") {
  CHECK(parse_timestamp("2026-01-01 15:12:11") == example);
  CHECK(parse_timestamp("2026-01-01 15:12:11.250") == example + 250'000);
  CHECK(parse_timestamp("2026-01-01 15:12:11Z") == example);
  CHECK(parse_timestamp("2026-01-01 15:12:11+01:00") == example - 3600 * sec);
}

TEST_CASE("timestamp: T form without a zone is rejected", "[timestamp]") {
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11.5"));
}

TEST_CASE("timestamp: offsets are normalised to UTC", "[timestamp]") {
  CHECK(parse_timestamp("2026-01-01T16:12:11+01:00") == example);
  CHECK(parse_timestamp("2026-01-01T10:12:11-05:00") == example);
  CHECK(parse_timestamp("2026-01-01T20:42:11+05:30") == example);
  CHECK(parse_timestamp("2026-01-01T15:12:11+00:00") == example);
  CHECK(parse_timestamp("2026-01-01T15:12:11-00:00") == example);
  // Crossing midnight backwards into the previous year.
  CHECK(parse_timestamp("2026-01-01T01:00:00+02:00") == parse_timestamp("2025-12-31T23:00:00Z"));
  CHECK(parse_timestamp("2026-01-01T16:12:11.123456+01:00") == example + 123456);
}

TEST_CASE("timestamp: malformed offsets are rejected", "[timestamp]") {
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11+0100"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11+01"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11+24:00"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11+01:60"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11+01:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11Z+01:00"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11 Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11UTC"));
}

TEST_CASE("timestamp: fractions of 1 to 9 digits keep microseconds and truncate the rest",
          "[timestamp]") {
  CHECK(parse_timestamp("2026-01-01T15:12:11.5Z") == example + 500'000);
  CHECK(parse_timestamp("2026-01-01T15:12:11.12Z") == example + 120'000);
  CHECK(parse_timestamp("2026-01-01T15:12:11.123Z") == example + 123'000);
  CHECK(parse_timestamp("2026-01-01T15:12:11.123456Z") == example + 123'456);
  CHECK(parse_timestamp("2026-01-01T15:12:11.1234567Z") == example + 123'456);
  CHECK(parse_timestamp("2026-01-01T15:12:11.123456999Z") == example + 123'456);
  CHECK(parse_timestamp("2026-01-01T15:12:11.000000001Z") == example);
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11.1234567890Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11.Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T15:12:11,5Z"));
}

TEST_CASE("timestamp: leap days exist only in leap years", "[timestamp]") {
  CHECK(parse_timestamp("2024-02-29T00:00:00Z") == int64_t{1709164800} * sec);
  CHECK(parse_timestamp("2000-02-29T12:00:00Z"));
  CHECK_FALSE(parse_timestamp("2023-02-29T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("1900-02-29T00:00:00Z"));  // before 1970 anyway
  CHECK_FALSE(parse_timestamp("2100-02-29T00:00:00Z"));  // century, not a leap year
  CHECK_FALSE(parse_timestamp("2024-02-30T00:00:00Z"));
  CHECK(parse_timestamp("2024-03-01T00:00:00Z") ==
        parse_timestamp("2024-02-29T00:00:00Z").value() + 86'400 * sec);
}

TEST_CASE("timestamp: date and time fields are range checked", "[timestamp]") {
  CHECK_FALSE(parse_timestamp("2026-00-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-00T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-32T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-04-31T00:00:00Z"));
  CHECK(parse_timestamp("2026-04-30T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T24:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-01T23:60:00Z"));
  CHECK_FALSE(parse_timestamp("2026-12-31T23:59:60Z"));  // leap seconds are not accepted
  CHECK(parse_timestamp("2026-12-31T23:59:59Z"));
}

TEST_CASE("timestamp: years outside 1970 to 9999 are rejected", "[timestamp]") {
  CHECK_FALSE(parse_timestamp("1969-12-31T23:59:59Z"));
  CHECK_FALSE(parse_timestamp("0000-01-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("10000-01-01T00:00:00Z"));
  // The offset may not push the instant out of range either.
  CHECK_FALSE(parse_timestamp("1970-01-01T00:30:00+01:00"));
  CHECK_FALSE(parse_timestamp("9999-12-31T23:30:00-01:00"));
  CHECK(parse_timestamp("1970-01-01T00:30:00-01:00") == int64_t{5400} * sec);
}

TEST_CASE("timestamp: other shapes are rejected", "[timestamp]") {
  for (const char* bad :
       {"", "2026", "2026-01-01", "2026-01-01T15:12Z", "2026-1-01T15:12:11Z", "2026-01-01T5:12:11Z",
        "2026/01/01T15:12:11Z", "2026-01-01_15:12:11Z", "2026-01-01T15-12-11Z",
        " 2026-01-01T15:12:11Z", "2026-01-01T15:12:11Z ", "+2026-01-01T15:12:11Z",
        "2026-01-01T15:12:11.-5Z", "1767280331", "２026-01-01T15:12:11Z", "2026-01-01T15:12:1aZ"}) {
    INFO(bad);
    CHECK_FALSE(parse_timestamp(bad));
  }
  CHECK_FALSE(parse_timestamp(std::string_view("2026-01-01T15:12:11Z\0", 21)));
}

TEST_CASE("timestamp: format uses seconds, milliseconds or microseconds as needed", "[timestamp]") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(format_timestamp(example) == "2026-01-01T15:12:11Z");
  CHECK(format_timestamp(example + 500'000) == "2026-01-01T15:12:11.500Z");
  CHECK(format_timestamp(example + 1'000) == "2026-01-01T15:12:11.001Z");
  CHECK(format_timestamp(example + 123'456) == "2026-01-01T15:12:11.123456Z");
  CHECK(format_timestamp(example + 1) == "2026-01-01T15:12:11.000001Z");
  CHECK(format_timestamp(example + 120'000) == "2026-01-01T15:12:11.120Z");
  CHECK(format_timestamp(int64_t{253402300799} * sec + 999'999) == "9999-12-31T23:59:59.999999Z");
  CHECK(format_timestamp(int64_t{1709164800} * sec) == "2024-02-29T00:00:00Z");
}

TEST_CASE("timestamp: format before the epoch counts backwards correctly", "[timestamp]") {
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_timestamp(-86'400 * sec) == "1969-12-31T00:00:00Z");
}

TEST_CASE("timestamp: format then parse is the identity", "[timestamp]") {
  for (int64_t t : {int64_t{0}, example, example + 7, example + 42'000, int64_t{951782400} * sec,
                    int64_t{253402300799} * sec + 999'999}) {
    INFO(t);
    CHECK(parse_timestamp(format_timestamp(t)) == t);
  }
  // Every day from 1970 to 2100 survives the round trip (exercises the civil-date arithmetic).
  for (int64_t day = 0; day < 47'482; ++day) {
    const int64_t t = day * 86'400 * sec + 43'200 * sec;
    if (parse_timestamp(format_timestamp(t)) != t) FAIL("round trip failed at day " << day);
  }
}

TEST_CASE("timestamp: now_micros is the current wall clock", "[timestamp]") {
  const int64_t now = sluice::now_micros();
  CHECK(now > *parse_timestamp("2024-01-01T00:00:00Z"));
  CHECK(now < *parse_timestamp("2100-01-01T00:00:00Z"));
}
