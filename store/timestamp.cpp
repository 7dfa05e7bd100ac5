// Civil-date arithmetic after Howard Hinnant's days_from_civil / civil_from_days: exact for the
// proleptic Gregorian calendar, no tables, no time zone database.
#include "store/timestamp.hpp"

#include <chrono>

namespace sluice {
namespace {

constexpr int64_t micros_per_second = 1'000'000;
constexpr int64_t micros_per_day = 86'400 * micros_per_second;

constexpr int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil_date {
  int64_t year;
  int month;
  int day;
};

constexpr civil_date civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// First instant we refuse: 10000-01-01T00:00:00Z.
constexpr int64_t end_of_range_us = days_from_civil(10000, 1, 1) * micros_per_day;

constexpr bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int days_in_month(int64_t y, int m) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `pos`; false when any is not a digit or the string is too short.
bool read_digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

void put_digits(std::string& out, int64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!read_digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !read_digits(s, 5, 2, month) ||
      s[7] != '-' || !read_digits(s, 8, 2, day) || !read_digits(s, 11, 2, hour) || s[13] != ':' ||
      !read_digits(s, 14, 2, minute) || s[16] != ':' || !read_digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  const char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }

  size_t pos = 19;
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (digits < 6) frac_us = frac_us * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = digits; i < 6; ++i) frac_us *= 10;
  }

  int64_t offset_us = 0;
  if (pos == s.size()) {
    // No zone: only the `YYYY-MM-DD HH:MM:SS` form is read as UTC; RFC 3339 itself needs one.
    if (sep != ' ') return std::nullopt;
  } else if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (s.size() != pos + 6 || !read_digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' ||
        !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_us = (static_cast<int64_t>(oh) * 3600 + om * 60) * micros_per_second;
    if (s[pos] == '-') offset_us = -offset_us;
  } else {
    return std::nullopt;
  }

  const int64_t local_us =
      days_from_civil(year, month, day) * micros_per_day +
      (static_cast<int64_t>(hour) * 3600 + minute * 60 + second) * micros_per_second + frac_us;
  // Local time minus its offset is UTC; the offset may push the instant out of 1970..9999.
  const int64_t utc_us = local_us - offset_us;
  if (utc_us < 0 || utc_us >= end_of_range_us) return std::nullopt;
  return utc_us;
}

std::string format_timestamp(int64_t micros) {
  int64_t days = micros / micros_per_day;
  int64_t rest = micros % micros_per_day;
  if (rest < 0) {
    rest += micros_per_day;
    --days;
  }
  const civil_date date = civil_from_days(days);
  const int64_t secs = rest / micros_per_second;
  const int64_t frac = rest % micros_per_second;

  std::string out;
  out.reserve(27);
  if (date.year >= 0 && date.year <= 9999) {
    put_digits(out, date.year, 4);
  } else {
    out += std::to_string(date.year);  // outside what parse_timestamp accepts; still readable
  }
  out.push_back('-');
  put_digits(out, date.month, 2);
  out.push_back('-');
  put_digits(out, date.day, 2);
  out.push_back('T');
  put_digits(out, secs / 3600, 2);
  out.push_back(':');
  put_digits(out, secs / 60 % 60, 2);
  out.push_back(':');
  put_digits(out, secs % 60, 2);
  if (frac != 0) {
    out.push_back('.');
    if (frac % 1000 == 0) {
      put_digits(out, frac / 1000, 3);
    } else {
      put_digits(out, frac, 6);
    }
  }
  out.push_back('Z');
  return out;
}

int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
