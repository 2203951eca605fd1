// The CSV reader of ann/csv.h: one line at a time, so that a string and a stream share every
// rule, and every error can name its line.
#include "ann/csv.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <istream>
#include <system_error>

#include "ann/error.h"

namespace ann::csv {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A field as messages show it: quoted, cut short, with control and non-ASCII bytes escaped,
// so that binary junk cannot break the one-line error.
std::string shown(std::string_view field) {
  constexpr std::size_t kMax = 32;
  std::string out = "\"";
  for (std::size_t i = 0; i < field.size() && i < kMax; ++i) {
    const auto byte = static_cast<unsigned char>(field[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  if (field.size() > kMax) out += "...";
  return out + "\"";
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    line.remove_prefix(comma + 1);
  }
}

class Parser {
 public:
  explicit Parser(const Options& options) : options_(options) {
    if (options.columns == 0) throw ValueError(prefix() + "the number of columns must be at least 1");
    table_.columns = options.columns;
  }

  void line(std::string_view text) {
    ++line_;
    if (line_ == 1 && text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (trim(text).empty()) return;  // blank lines carry nothing
    const std::vector<std::string_view> fields = split(text);
    const bool first = !seen_content_;
    seen_content_ = true;
    if (first && is_header(fields)) {
      table_.had_header = true;
      return;
    }
    if (fields.size() != options_.columns) {
      fail("expected " + std::to_string(options_.columns) + (options_.columns == 1 ? " number" : " numbers") +
           ", got " + std::to_string(fields.size()));
    }
    for (std::size_t i = 0; i < fields.size(); ++i) table_.values.push_back(number(fields[i], i + 1, first));
  }

  Table finish() {
    if (table_.values.empty()) {
      throw ValueError(prefix() + (table_.had_header ? "the input holds no rows after its header line"
                                                     : "the input holds no rows"));
    }
    return std::move(table_);
  }

 private:
  std::string prefix() const { return "csv: " + (options_.source.empty() ? "" : options_.source + ": "); }

  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError(prefix() + "line " + std::to_string(line_) + ": " + what);
  }

  bool is_header(const std::vector<std::string_view>& fields) const {
    if (options_.header.empty() || fields.size() != options_.header.size()) return false;
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (!same_name(fields[i], options_.header[i])) return false;
    return true;
  }

  float number(std::string_view field, std::size_t column, bool first_line) const {
    const std::string where = "column " + std::to_string(column) + ": ";
    if (field.empty()) fail(where + "empty, expected a number");
    std::string_view digits = field;
    // from_chars takes no '+', which people (and spreadsheets) do write.
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '+' && digits[1] != '-') digits.remove_prefix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range) fail(where + shown(field) + " is out of range");
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      std::string hint;
      if (first_line && !options_.header.empty()) {
        std::string names;
        for (const std::string& name : options_.header) names += (names.empty() ? "" : ",") + name;
        hint = " (a header line must read \"" + names + "\")";
      }
      fail(where + shown(field) + " is not a number" + hint);
    }
    if (!std::isfinite(value)) fail(where + shown(field) + " is not a finite number");
    // IEEE rounding: what lies beyond float's range (past FLT_MAX and half an ulp) becomes
    // infinity. Testing the rounded value keeps "3.4028235e+38", float's own largest value as
    // to_chars writes it, readable.
    const float rounded = static_cast<float>(value);
    if (!std::isfinite(rounded)) fail(where + shown(field) + " does not fit in a float32");
    return rounded;
  }

  const Options& options_;
  Table table_;
  std::size_t line_ = 0;
  bool seen_content_ = false;
};

}  // namespace

Tensor Table::to_tensor() const {
  return from_vector(values, {static_cast<std::int64_t>(rows()), static_cast<std::int64_t>(columns)});
}

Table parse(std::string_view text, const Options& options) {
  Parser parser(options);
  for (;;) {
    const std::size_t newline = text.find('\n');
    parser.line(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return parser.finish();
}

Table read(std::istream& in, const Options& options) {
  Parser parser(options);
  for (std::string line; std::getline(in, line);) parser.line(line);
  if (in.bad()) {
    throw IOError("csv: " + (options.source.empty() ? std::string("the input") : options.source) +
                  ": read error");
  }
  return parser.finish();
}

Table read_file(const std::filesystem::path& path, Options options) {
  if (options.source.empty()) options.source = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IOError("csv: " + path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("csv: cannot open " + path.string() + ": " + std::strerror(errno));
  return read(in, options);
}

}  // namespace ann::csv
