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
#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
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

// The fields of one line: separated by commas, spaces and tabs around each dropped. A field in
// double quotes may hold commas and "" for a quote, as spreadsheets write them (RFC 4180, within
// one line); `fail` is called for an unterminated quote or text after a closing one.
template <class Fail>
std::vector<std::string> split(std::string_view line, const Fail& fail) {
  const auto blank = [&](std::size_t i) { return i < line.size() && (line[i] == ' ' || line[i] == '\t'); };
  std::vector<std::string> fields;
  std::size_t at = 0;
  for (;;) {
    std::size_t start = at;
    while (blank(start)) ++start;
    if (start < line.size() && line[start] == '"') {
      std::string field;
      std::size_t i = start + 1;
      for (; i < line.size(); ++i) {
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          break;
        }
      }
      if (i >= line.size()) fail("field " + std::to_string(fields.size() + 1) + ": a quote that is not closed on this line");
      std::size_t next = i + 1;
      while (blank(next)) ++next;
      if (next < line.size() && line[next] != ',') {
        fail("field " + std::to_string(fields.size() + 1) + ": text after its closing quote");
      }
      fields.push_back(std::move(field));
      if (next >= line.size()) return fields;
      at = next + 1;
    } else {
      const std::size_t comma = line.find(',', at);
      fields.emplace_back(trim(line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at)));
      if (comma == std::string_view::npos) return fields;
      at = comma + 1;
    }
  }
}

// A finite float32 from a field, or nothing and `why` ("is not a number", ...).
std::optional<float> read_float(std::string_view field, std::string& why) {
  std::string_view digits = field;
  // from_chars takes no '+', which people (and spreadsheets) do write.
  if (digits.size() > 1 && digits[0] == '+' && digits[1] != '+' && digits[1] != '-') digits.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) why = "is out of range";
  else if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) why = "is not a number";
  else if (!std::isfinite(value)) why = "is not a finite number";
  // IEEE rounding: what lies beyond float's range (past FLT_MAX and half an ulp) becomes
  // infinity. Testing the rounded value keeps "3.4028235e+38", float's own largest value as
  // to_chars writes it, readable.
  else if (!std::isfinite(static_cast<float>(value))) why = "does not fit in a float32";
  else return static_cast<float>(value);
  return std::nullopt;
}

// Calls f(line number, line) for each line of text that holds anything, \r and a first BOM dropped.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  for (;;) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (++number == 1 && line.starts_with(kByteOrderMark)) line.remove_prefix(kByteOrderMark.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!trim(line).empty()) f(number, line);
    if (newline == std::string_view::npos) return;
    text.remove_prefix(newline + 1);
  }
}

// A file opened for reading, or an IOError saying why not (a directory, missing, unreadable).
std::ifstream open_input(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IOError("csv: " + path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("csv: cannot open " + path.string() + ": " + std::strerror(errno));
  return in;
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
    const std::vector<std::string> fields = split(text, [this](const std::string& what) { fail(what); });
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

  bool is_header(const std::vector<std::string>& fields) const {
    if (options_.header.empty() || fields.size() != options_.header.size()) return false;
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (!same_name(fields[i], options_.header[i])) return false;
    return true;
  }

  float number(std::string_view field, std::size_t column, bool first_line) const {
    const std::string where = "column " + std::to_string(column) + ": ";
    if (field.empty()) fail(where + "empty, expected a number");
    std::string why;
    const std::optional<float> value = read_float(field, why);
    if (!value) {
      std::string hint;
      if (why == "is not a number" && first_line && !options_.header.empty()) {
        std::string names;
        for (const std::string& name : options_.header) names += (names.empty() ? "" : ",") + name;
        hint = " (a header line must read \"" + names + "\")";
      }
      fail(where + shown(field) + " " + why + hint);
    }
    return *value;
  }

  const Options& options_;
  Table table_;
  std::size_t line_ = 0;
  bool seen_content_ = false;
};

// A feature field as a number, or fail("column 3 (\"width\"): ...").
template <class Fail>
float named_number(std::string_view field, std::size_t index, const std::string& name, const Fail& fail) {
  const std::string where = "column " + std::to_string(index + 1) + " (" + shown(name) + "): ";
  if (field.empty()) fail(where + "empty, expected a number");
  std::string why;
  const std::optional<float> value = read_float(field, why);
  if (!value) fail(where + shown(field) + " " + why);
  return *value;
}

// "\"a\", \"b\", \"c\"": a header's names, for messages.
std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + shown(name);
  return text;
}

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
  std::ifstream in = open_input(path);
  return read(in, options);
}

LabelledTable parse_labelled(std::string_view text, const LabelledOptions& options) {
  const std::string prefix = "csv: " + (options.source.empty() ? "" : options.source + ": ");
  const auto fail = [&](std::size_t line, const std::string& what) {
    throw ValueError(prefix + (line ? "line " + std::to_string(line) + ": " : "") + what);
  };
  std::vector<std::string> header;
  std::size_t target = 0;
  std::vector<float> features;
  std::vector<std::string> targets;  // as written; numbers or class names decided below
  std::vector<std::size_t> target_lines;
  for_each_line(text, [&](std::size_t line, std::string_view content) {
    const std::vector<std::string> fields = split(content, [&](const std::string& what) { fail(line, what); });
    if (header.empty()) {
      for (std::string_view f : fields) header.emplace_back(f);
      const auto it = std::find(header.begin(), header.end(), options.target);
      if (it == header.end()) {
        fail(line, "no column named " + shown(options.target) + " for the target; the header has " + listed(header));
      }
      if (header.size() < 2) fail(line, "the target is the only column: there are no features");
      target = static_cast<std::size_t>(it - header.begin());
      return;
    }
    if (fields.size() != header.size()) {
      fail(line, "expected " + std::to_string(header.size()) + " fields (as the header), got " +
                     std::to_string(fields.size()));
    }
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (i != target) features.push_back(named_number(fields[i], i, header[i], [&](const std::string& what) { fail(line, what); }));
    if (fields[target].empty()) fail(line, "column " + std::to_string(target + 1) + " (the target): empty");
    targets.emplace_back(fields[target]);
    target_lines.push_back(line);
  });
  if (header.empty()) fail(0, "the input is empty; expected a header line naming the columns");
  if (targets.empty()) fail(0, "the input holds no rows after its header line");

  LabelledTable table;
  table.target = options.target;
  for (std::size_t i = 0; i < header.size(); ++i)
    if (i != target) table.feature_names.push_back(header[i]);
  const auto rows = static_cast<std::int64_t>(targets.size());
  table.X = from_vector(features, {rows, static_cast<std::int64_t>(table.feature_names.size())});

  // The target as numbers, where every value is one.
  std::vector<float> numbers;
  bool numeric = true, integral = true;
  for (const std::string& t : targets) {
    std::string why;
    const std::optional<float> v = read_float(t, why);
    if (!v) {
      numeric = false;
      break;
    }
    numbers.push_back(*v);
    integral = integral && std::floor(*v) == *v;
  }
  std::set<float> distinct(numbers.begin(), numbers.end());
  using Task = LabelledOptions::Task;
  table.classification = options.task == Task::Classify ||
                         (options.task == Task::Auto &&
                          (!numeric || (integral && distinct.size() <= options.max_auto_classes)));
  if (!table.classification) {
    if (!numeric) {
      for (std::size_t i = 0; i < targets.size(); ++i) {
        std::string why;
        if (!read_float(targets[i], why)) {
          fail(target_lines[i], "column " + std::to_string(target + 1) + " (the target): " + shown(targets[i]) + " " +
                                    why + "; a regression target must be numeric");
        }
      }
    }
    table.y = from_vector(numbers, {rows, 1});
    return table;
  }
  // Classes sorted: numerically when the target is numeric, else as text.
  std::vector<std::int64_t> labels;
  if (numeric) {
    for (float v : distinct) {
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
      table.class_names.emplace_back(buffer, ec == std::errc() ? end : buffer);
    }
    for (float v : numbers) labels.push_back(std::distance(distinct.begin(), distinct.find(v)));
  } else {
    const std::set<std::string> names(targets.begin(), targets.end());
    table.class_names.assign(names.begin(), names.end());
    for (const std::string& t : targets) labels.push_back(std::distance(names.begin(), names.find(t)));
  }
  if (table.class_names.size() < 2) {
    fail(0, "the target " + shown(options.target) + " holds a single class (" + shown(table.class_names.front()) +
                "); classification needs at least two");
  }
  table.y = from_vector(labels, {rows});
  return table;
}

Tensor parse_named_columns(std::string_view text, const NamedColumnsOptions& options) {
  const std::string prefix = "csv: " + (options.source.empty() ? "" : options.source + ": ");
  const auto fail = [&](std::size_t line, const std::string& what) {
    throw ValueError(prefix + (line ? "line " + std::to_string(line) + ": " : "") + what);
  };
  if (options.columns.empty()) fail(0, "no columns asked for");
  std::vector<std::string> header;
  std::vector<std::size_t> wanted;  // the header position of each asked-for column
  std::vector<float> values;
  std::int64_t rows = 0;
  for_each_line(text, [&](std::size_t line, std::string_view content) {
    const std::vector<std::string> fields = split(content, [&](const std::string& what) { fail(line, what); });
    if (header.empty()) {
      for (std::string_view f : fields) header.emplace_back(f);
      std::vector<std::string> missing;
      for (const std::string& name : options.columns) {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) missing.push_back(name);
        wanted.push_back(static_cast<std::size_t>(it - header.begin()));
      }
      if (!missing.empty()) fail(line, "no column named " + listed(missing) + "; the header has " + listed(header));
      return;
    }
    if (fields.size() != header.size()) {
      fail(line, "expected " + std::to_string(header.size()) + " fields (as the header), got " +
                     std::to_string(fields.size()));
    }
    for (const std::size_t i : wanted)
      values.push_back(named_number(fields[i], i, header[i], [&](const std::string& what) { fail(line, what); }));
    ++rows;
  });
  if (header.empty()) fail(0, "the input is empty; expected a header line naming the columns");
  if (rows == 0) fail(0, "the input holds no rows after its header line");
  return from_vector(values, {rows, static_cast<std::int64_t>(options.columns.size())});
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in = open_input(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IOError("csv: " + path.string() + ": read error");
  return text;
}

LabelledTable read_labelled_file(const std::filesystem::path& path, LabelledOptions options) {
  if (options.source.empty()) options.source = path.string();
  return parse_labelled(read_text_file(path), options);
}

}  // namespace ann::csv
