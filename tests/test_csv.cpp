// ann::csv: the rows that parse, and an error naming the line for each thing that can be wrong.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "ann/csv.h"
#include "ann/error.h"
#include "test_support.h"

namespace {

using namespace ann;

const csv::Options kPoints{.columns = 2, .header = {"x", "y"}};

// The ValueError's message for `text`, or "" when it parses.
std::string error_of(const std::string& text, const csv::Options& options = kPoints) {
  try {
    csv::parse(text, options);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

TEST(csv, ParsesRowsOfNumbers) {
  const csv::Table t = csv::parse("0.5,-1\n2,3e-2\n-0,+4\n", kPoints);
  EXPECT_EQ(t.columns, 2u);
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.values, (std::vector<float>{0.5f, -1.f, 2.f, 3e-2f, -0.f, 4.f}));
  EXPECT_TRUE(std::signbit(t.values[4]));  // -0 stays -0
  EXPECT_FALSE(t.had_header);
  const Tensor X = t.to_tensor();
  EXPECT_EQ(X.sizes(), (Shape{3, 2}));
  EXPECT_EQ(X.at({1, 1}), 3e-2f);
}

TEST(csv, SkipsTheHeaderBlankLinesSpacesCarriageReturnsAndAByteOrderMark) {
  const csv::Table t = csv::parse("\xEF\xBB\xBF X , Y \r\n\n  1 ,\t2\r\n\r\n3,4", kPoints);
  EXPECT_TRUE(t.had_header);
  EXPECT_EQ(t.values, (std::vector<float>{1, 2, 3, 4}));  // the last line needs no newline
}

TEST(csv, RoundsToFloat32) {
  const csv::Table t = csv::parse("0.1,1e-50\n3.4028235e+38,-3.4028235e38\n", kPoints);
  EXPECT_EQ(t.values[0], 0.1f);
  EXPECT_EQ(t.values[1], 0.f);  // underflows to 0: fine
  EXPECT_EQ(t.values[2], std::numeric_limits<float>::max());  // as to_chars writes it
  EXPECT_EQ(t.values[3], -std::numeric_limits<float>::max());
}

TEST(csv, ErrorsNameTheLine) {
  EXPECT_EQ(error_of("1,2\n3\n"), "csv: line 2: expected 2 numbers, got 1");
  EXPECT_EQ(error_of("x,y\n1,2\n\n3,4,5\n"), "csv: line 4: expected 2 numbers, got 3");
  EXPECT_EQ(error_of("1,2\n3,abc\n"), "csv: line 2: column 2: \"abc\" is not a number");
  EXPECT_EQ(error_of("1,2\n3,\n"), "csv: line 2: column 2: empty, expected a number");
  EXPECT_EQ(error_of("1,2\n4,5x\n"), "csv: line 2: column 2: \"5x\" is not a number");
  EXPECT_EQ(error_of("1,2\n1 2,3\n"), "csv: line 2: column 1: \"1 2\" is not a number");
  EXPECT_EQ(error_of("1,2\n0x10,3\n"), "csv: line 2: column 1: \"0x10\" is not a number");
  EXPECT_EQ(error_of("1,2\n++1,3\n"), "csv: line 2: column 1: \"++1\" is not a number");
}

TEST(csv, RefusesNonFiniteAndOutOfRangeNumbers) {
  EXPECT_EQ(error_of("nan,1\n"), "csv: line 1: column 1: \"nan\" is not a finite number");
  EXPECT_EQ(error_of("1,-inf\n"), "csv: line 1: column 2: \"-inf\" is not a finite number");
  EXPECT_EQ(error_of("1,Infinity\n"), "csv: line 1: column 2: \"Infinity\" is not a finite number");
  EXPECT_EQ(error_of("1e39,1\n"), "csv: line 1: column 1: \"1e39\" does not fit in a float32");
  EXPECT_EQ(error_of("3.4028236e38,1\n"), "csv: line 1: column 1: \"3.4028236e38\" does not fit in a float32");
  EXPECT_EQ(error_of("1,1e400\n"), "csv: line 1: column 2: \"1e400\" is out of range");
}

TEST(csv, RefusesEmptyInput) {
  EXPECT_EQ(error_of(""), "csv: the input holds no rows");
  EXPECT_EQ(error_of("\n \n\r\n"), "csv: the input holds no rows");
  EXPECT_EQ(error_of("x,y\n"), "csv: the input holds no rows after its header line");
}

TEST(csv, AWrongHeaderIsAnErrorThatShowsTheRightOne) {
  EXPECT_EQ(error_of("a,b\n1,2\n"), "csv: line 1: column 1: \"a\" is not a number (a header line must read \"x,y\")");
  // Only the first line may be a header; without one configured, none is allowed.
  EXPECT_EQ(error_of("1,2\nx,y\n"), "csv: line 2: column 1: \"x\" is not a number");
  EXPECT_EQ(error_of("x,y\n1,2\n", {.columns = 2}), "csv: line 1: column 1: \"x\" is not a number");
}

TEST(csv, MessagesNameTheSourceAndEscapeJunk) {
  const csv::Options named{.columns = 1, .source = "points.csv"};
  EXPECT_EQ(error_of("1\n2,3\n", named), "csv: points.csv: line 2: expected 1 number, got 2");
  EXPECT_EQ(error_of(std::string("\x01\xff\"", 3), named),
            "csv: points.csv: line 1: column 1: \"\\x01\\xff\\x22\" is not a number");
  const std::string message = error_of(std::string(1000, 'z'), named);
  EXPECT_LT(message.size(), 100u) << message;  // a long field is cut short
  EXPECT_THROW(csv::parse("1", {.columns = 0}), ValueError);
}

TEST(csv, ReadsStreamsAndFiles) {
  std::istringstream in("x,y\n1,2\n3,4\n");
  EXPECT_EQ(csv::read(in, kPoints).values, (std::vector<float>{1, 2, 3, 4}));
  std::istringstream bad("1,2\n\n3\n");
  try {
    csv::read(bad, kPoints);
    FAIL() << "no ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "csv: line 3: expected 2 numbers, got 1");
  }

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("ann_test_csv_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(file) << "x,y\n5,6\n7\n";
  try {
    csv::read_file(file, kPoints);
    FAIL() << "no ValueError";
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "csv: " + file.string() + ": line 3: expected 2 numbers, got 1");
  }
  std::filesystem::remove(file);
  EXPECT_THROW(csv::read_file(file, kPoints), IOError);  // gone
  EXPECT_THROW(csv::read_file(std::filesystem::temp_directory_path(), kPoints), IOError);  // a directory
}

}  // namespace

namespace {

using ann::csv::LabelledOptions;
using ann::csv::parse_labelled;

std::string labelled_error(std::string_view text, LabelledOptions options) {
  try {
    parse_labelled(text, options);
  } catch (const ann::ValueError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LabelledCsv, TextClassesAreSortedAndNumbersBecomeFeatures) {
  const auto t = parse_labelled("a, species ,b\n1,setosa,2\n3.5,virginica,-4\n5,setosa,6\n", {.target = "species"});
  EXPECT_TRUE(t.classification);
  EXPECT_EQ(t.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.class_names, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(t.X.to_vector<float>(), (std::vector<float>{1, 2, 3.5f, -4, 5, 6}));
  EXPECT_EQ(t.y.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 0}));
}

TEST(LabelledCsv, TheTaskIsChosenFromTheTarget) {
  // few distinct integers: classes, in numeric order ("2" before "10")
  const auto c = parse_labelled("x,y\n0,10\n1,2\n2,10\n", {.target = "y"});
  EXPECT_TRUE(c.classification);
  EXPECT_EQ(c.class_names, (std::vector<std::string>{"2", "10"}));
  EXPECT_EQ(c.y.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1}));
  // fractions: regression, a [rows, 1] column
  const auto r = parse_labelled("x,y\n0,0.5\n1,2.25\n", {.target = "y"});
  EXPECT_FALSE(r.classification);
  EXPECT_EQ(r.y.sizes(), (ann::Shape{2, 1}));
  // forced
  EXPECT_FALSE(parse_labelled("x,y\n0,1\n1,2\n", {.target = "y", .task = LabelledOptions::Task::Regress}).classification);
}

TEST(LabelledCsv, BadInputGetsOneLineNamingWhere) {
  const LabelledOptions o{.target = "y", .source = "t.csv"};
  EXPECT_EQ(labelled_error("", o), "csv: t.csv: the input is empty; expected a header line naming the columns");
  EXPECT_EQ(labelled_error("x,y\n", o), "csv: t.csv: the input holds no rows after its header line");
  EXPECT_EQ(labelled_error("x,z\n1,2\n", o),
            "csv: t.csv: line 1: no column named \"y\" for the target; the header has \"x\", \"z\"");
  EXPECT_EQ(labelled_error("x,y\n1,a\n2\n", o), "csv: t.csv: line 3: expected 2 fields (as the header), got 1");
  EXPECT_EQ(labelled_error("x,y\n1,a\nabc,b\n", o), "csv: t.csv: line 3: column 1 (\"x\"): \"abc\" is not a number");
  EXPECT_EQ(labelled_error("x,y\n1,a\nnan,b\n", o), "csv: t.csv: line 3: column 1 (\"x\"): \"nan\" is not a finite number");
  EXPECT_EQ(labelled_error("x,y\n1,a\n2,a\n", o),
            "csv: t.csv: the target \"y\" holds a single class (\"a\"); classification needs at least two");
  EXPECT_EQ(labelled_error("x,y\n1,0.5\n2,oops\n", {.target = "y", .task = LabelledOptions::Task::Regress, .source = "t.csv"}),
            "csv: t.csv: line 3: column 2 (the target): \"oops\" is not a number; a regression target must be numeric");
  EXPECT_EQ(labelled_error("y\n1\n", o), "csv: t.csv: line 1: the target is the only column: there are no features");
}

}  // namespace

namespace {

// Spreadsheets quote a field that holds a comma or a quote (RFC 4180): such a table reads, its
// names unquoted, and a quote left open is one clear error naming the line.
TEST(CsvQuotes, QuotedFieldsHoldCommasAndQuotes) {
  const std::string text =
      "\"width, cm\",\"the \"\"height\"\"\", kind\n"
      "1.5, \"2\", \"a, b\"\n"
      "3,4,c\n";
  const ann::csv::LabelledTable t = ann::csv::parse_labelled(text, {.target = "kind"});
  EXPECT_EQ(t.feature_names, (std::vector<std::string>{"width, cm", "the \"height\""}));
  EXPECT_EQ(t.class_names, (std::vector<std::string>{"a, b", "c"}));
  EXPECT_EQ(t.X.to_vector<float>(), (std::vector<float>{1.5f, 2.f, 3.f, 4.f}));
  const ann::Tensor X = ann::csv::parse_named_columns(text, {.columns = {"the \"height\""}});
  EXPECT_EQ(X.to_vector<float>(), (std::vector<float>{2.f, 4.f}));
  const ann::csv::Table points = ann::csv::parse("\"x\",\"y\"\n\"1\",2\n", {.columns = 2, .header = {"x", "y"}});
  EXPECT_EQ(points.values, (std::vector<float>{1.f, 2.f}));
  EXPECT_NE(ann::testing::message_of<ann::ValueError>([] { ann::csv::parse_labelled("a,b\n\"1,2\n", {.target = "b"}); })
                .find("line 2: field 1: a quote that is not closed on this line"),
            std::string::npos);
  EXPECT_NE(ann::testing::message_of<ann::ValueError>([] { ann::csv::parse_labelled("a,b\n\"1\"x,2\n", {.target = "b"}); })
                .find("line 2: field 1: text after its closing quote"),
            std::string::npos);
}

}  // namespace
