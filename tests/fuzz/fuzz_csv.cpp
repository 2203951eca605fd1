// libFuzzer target for the CSV reader (ann/csv.h): arbitrary text must parse or throw an
// ann::ValueError whose message is one line starting "csv: " — never crash, hang, leak or trip
// a sanitizer. Also: a string and a stream give the same outcome; what parses is finite and
// rectangular, and written back as CSV it parses again to the very same floats.
// The first byte picks the options (1-4 columns, with or without a header), the rest is the text.
// Build and run: see tests/fuzz/README.md.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>

#include "ann/csv.h"
#include "ann/error.h"

namespace {

struct Outcome {
  bool ok = false;
  ann::csv::Table table;
  std::string error;
};

template <class Parse>
Outcome attempt(Parse&& parse) {
  Outcome o;
  try {
    o.table = parse();
    o.ok = true;
  } catch (const ann::ValueError& e) {
    o.error = e.what();
  }
  return o;  // any other exception escapes: libFuzzer reports it as a crash
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ann::csv::Options options;
  options.columns = 1 + (data[0] & 3);
  if (data[0] & 4) options.header = {"x", "y", "z", "w"}, options.header.resize(options.columns);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome parsed = attempt([&] { return ann::csv::parse(text, options); });
  std::istringstream stream{std::string(text)};
  const Outcome streamed = attempt([&] { return ann::csv::read(stream, options); });
  if (parsed.ok != streamed.ok || parsed.error != streamed.error) std::abort();

  if (!parsed.ok) {
    const std::string& e = parsed.error;
    if (e.rfind("csv: ", 0) != 0 || e.find_first_of("\r\n") != std::string::npos) std::abort();
    return 0;
  }
  const ann::csv::Table& t = parsed.table;
  if (!same_bits(t.values, streamed.table.values) || t.rows() == 0 || t.values.size() != t.rows() * options.columns)
    std::abort();
  std::string again;
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    if (!std::isfinite(t.values[i])) std::abort();
    char number[32];
    again.append(number, std::to_chars(number, number + sizeof number, t.values[i]).ptr);
    again += (i + 1) % options.columns == 0 ? '\n' : ',';
  }
  if (!same_bits(ann::csv::parse(again, options).values, t.values)) std::abort();
  return 0;
}
