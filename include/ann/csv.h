#pragma once
// Reading rows of numbers from CSV text: `ann predict`'s points, or any table of features.
//
//   ann::csv::Table t = ann::csv::parse("x,y\n0.5,-1\n2,3e-2\n", {.columns = 2, .header = {"x", "y"}});
//   ann::Tensor X = t.to_tensor();   // [2, 2] float32
//
// The accepted text: lines separated by \n (a \r before it is dropped, and a UTF-8 byte order
// mark at the very start); blank lines are skipped; every other line holds exactly `columns`
// numbers separated by commas, with optional spaces or tabs around each. A field may be in
// double quotes, as spreadsheets write it, holding commas and "" for a quote (within its
// line). A number is what std::from_chars reads as a double ("-1", "0.5", "3e-2", "+2"); it
// must be finite and fit in a float32. The first line may instead be the header, when its names are `header`'s (ASCII case
// ignored). Anything else is an ann::ValueError naming the line, e.g.
//   "csv: line 3: expected 2 numbers, got 1"
//   "csv: points.csv: line 4: column 2: \"abc\" is not a number"
//   "csv: line 2: column 1: nan is not a finite number"
//   "csv: the input holds no rows"
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "ann/tensor.h"

namespace ann::csv {

struct Options {
  std::size_t columns = 2;           ///< numbers per row, >= 1
  std::vector<std::string> header{};  ///< the optional first line's names; empty: no header allowed
  std::string source{};               ///< named in messages (a file name); empty: none
};

/// The rows read, row-major.
struct Table {
  std::size_t columns = 0;
  std::vector<float> values;  ///< rows() × columns, all finite
  bool had_header = false;

  std::size_t rows() const { return columns == 0 ? 0 : values.size() / columns; }
  /// A [rows, columns] float32 tensor of the values.
  Tensor to_tensor() const;
};

/// A user's table with a header row and a named target column: what training on one's own data
/// starts from (`ann train`). Features are every other column and must be numbers; the target
/// may be numbers or text.
struct LabelledOptions {
  std::string target;  ///< the target column's name (exact, as in the header)
  /// Classification or regression; Auto chooses classification when the target is not
  /// numeric, or holds only integers with at most max_auto_classes distinct values.
  enum class Task { Auto, Classify, Regress } task = Task::Auto;
  std::size_t max_auto_classes = 20;
  std::string source{};  ///< named in messages; read_labelled_file sets it to the path
};

struct LabelledTable {
  Tensor X;                                ///< [rows, features] float32
  Tensor y;                                ///< classification: [rows] int64 class indices; regression: [rows, 1] float32
  std::vector<std::string> feature_names;  ///< in column order
  std::string target;
  bool classification = false;
  /// The classes' names, sorted (index i is class i): as text, or as the numbers read, in
  /// numeric order ("2" before "10").
  std::vector<std::string> class_names;
};

/// Reads a labelled table. One clear ValueError, naming the line and column, for: no header or
/// no rows, a target that is not a column (the columns are listed), a ragged row, an empty or
/// non-numeric feature, a non-finite value, a regression target that is not a number, and a
/// classification target with a single class.
LabelledTable parse_labelled(std::string_view text, const LabelledOptions& options);
/// The same for a file; IOError when it cannot be read.
LabelledTable read_labelled_file(const std::filesystem::path& path, LabelledOptions options);

/// Named columns of a table with a header row, for a model that knows its features' names
/// (`ann predict` on a tabular model): the columns may come in any order, and others (the
/// target, an id) are ignored.
struct NamedColumnsOptions {
  std::vector<std::string> columns;  ///< the names to read, in the order wanted
  std::string source{};              ///< named in messages
};
/// A [rows, columns.size()] float32 tensor of those columns. ValueError naming the line and
/// column for: no header or no rows, a missing column (the header is listed), a ragged row, an
/// empty, non-numeric or non-finite value.
Tensor parse_named_columns(std::string_view text, const NamedColumnsOptions& options);

/// The whole of a file, as the parsers above take it; IOError when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

/// Parses CSV text; throws ValueError as described above (also for columns == 0).
Table parse(std::string_view text, const Options& options);
/// The same, reading `in` line by line until its end.
Table read(std::istream& in, const Options& options);
/// The same for a file (options.source defaults to its path); IOError when it cannot be read.
Table read_file(const std::filesystem::path& path, Options options);

}  // namespace ann::csv
