// The safetensors container (ann/serialize.h): tensors round-trip bit for bit, the file is laid
// out as the spec says, every kind of bad file gives an IOError naming the file and the problem,
// and writes are atomic.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "ann/serialize.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace ann;
using ann::testing::read_file;
using ann::testing::TempDir;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string u64_le(std::uint64_t n) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out;
}

// A file as the spec lays it out: length, header, data.
std::string file_bytes(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

std::string f32_bytes(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <class T>
std::vector<std::uint8_t> bits(const Tensor& t) {
  const std::vector<T> v = t.to_vector<T>();
  std::vector<std::uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// ---- round trips ---------------------------------------------------------------------------------

TEST(serialize_tensors, RoundTripIsBitExact) {
  TempDir dir;
  const float nan_payload = std::bit_cast<float>(0x7fc01234u);
  const Tensor f = from_vector(
      std::vector<float>{1.5f, -0.0f, nan_payload, std::numeric_limits<float>::infinity(), 1e-45f, 3.f}, {2, 3});
  const Tensor i = from_vector(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                                         std::numeric_limits<std::int64_t>::max()},
                               {4});
  const Tensor b = from_vector(std::vector<bool>{true, false, true}, {3, 1});
  const Tensor scalar = scalar_tensor(42.f);
  const Tensor empty = zeros({0, 5});
  const Tensor view = arange(12.0).reshape({3, 4}).t();  // strided: saved as its contiguous copy
  save_tensors({{"f", f}, {"i", i}, {"b", b}, {"scalar", scalar}, {"empty", empty}, {"view", view}},
               dir / "t.safetensors", {{"note", "round trip"}, {"unicode", "größe ✓"}});

  const TensorFile file = load_tensors(dir / "t.safetensors");
  ASSERT_EQ(file.tensors.size(), 6u);
  EXPECT_EQ(file.metadata, (Metadata{{"note", "round trip"}, {"unicode", "größe ✓"}}));
  EXPECT_EQ(bits<float>(file.tensors.at("f")), bits<float>(f));
  EXPECT_EQ(file.tensors.at("f").sizes(), (Shape{2, 3}));
  EXPECT_EQ(file.tensors.at("i").dtype(), DType::Int64);
  EXPECT_EQ(file.tensors.at("i").to_vector<std::int64_t>(), i.to_vector<std::int64_t>());
  EXPECT_EQ(file.tensors.at("b").dtype(), DType::Bool);
  EXPECT_EQ(file.tensors.at("b").sizes(), (Shape{3, 1}));
  EXPECT_EQ(file.tensors.at("b").to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(file.tensors.at("scalar").sizes(), Shape{});
  EXPECT_EQ(file.tensors.at("scalar").item(), 42.f);
  EXPECT_EQ(file.tensors.at("empty").sizes(), (Shape{0, 5}));
  EXPECT_EQ(file.tensors.at("view").sizes(), (Shape{4, 3}));
  EXPECT_EQ(file.tensors.at("view").to_vector<float>(), view.to_vector<float>());
}

TEST(serialize_tensors, FileIsLaidOutAsTheSpecSays) {
  TempDir dir;
  save_tensors(
      {{"w", from_vector(std::vector<float>{1.f, 2.f}, {2})}, {"n", from_vector(std::vector<std::int64_t>{7}, {1})}},
      dir / "t.safetensors", {{"k", "v"}});
  const std::string bytes = read_file(dir / "t.safetensors");
  ASSERT_GE(bytes.size(), 8u);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  EXPECT_EQ(n % 8, 0u) << "header padded to a multiple of 8";
  ASSERT_EQ(bytes.size(), 8 + n + 8 + 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header.at("__metadata__"), (nlohmann::json{{"k", "v"}}));
  EXPECT_EQ(header.at("w"), (nlohmann::json{{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}));
  EXPECT_EQ(header.at("n"), (nlohmann::json{{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {8, 16}}}));
  EXPECT_EQ(bytes.substr(8 + n, 8), f32_bytes({1.f, 2.f}));
  EXPECT_EQ(bytes.substr(8 + n + 8), u64_le(7));
}

TEST(serialize_tensors, ReadsAnyValidLayout) {
  // Entries out of offset order, a zero-size tensor, space padding, no metadata.
  TempDir dir;
  const std::string header = R"({"b":{"data_offsets":[8,12],"shape":[1],"dtype":"F32"},)"
                             R"("z":{"dtype":"F32","shape":[0,4],"data_offsets":[8,8]},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}      )";
  write_file(dir / "t.safetensors", file_bytes(header, f32_bytes({1.f, 2.f, 3.f})));
  const TensorFile file = load_tensors(dir / "t.safetensors");
  EXPECT_EQ(file.tensors.at("a").to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(file.tensors.at("b").to_vector<float>(), (std::vector<float>{3.f}));
  EXPECT_EQ(file.tensors.at("z").sizes(), (Shape{0, 4}));
  EXPECT_TRUE(file.metadata.empty());
}

TEST(serialize_tensors, SaveRefusesBadNames) {
  TempDir dir;
  const Tensor t = zeros({1});
  auto expect_value_error = [&](const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& what) {
    try {
      save_tensors(tensors, dir / "t.safetensors");
      ADD_FAILURE() << "no ValueError for " << what;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_value_error({{"a", t}, {"a", t}}, "two tensors are named \"a\"");
  expect_value_error({{"__metadata__", t}}, "reserved");
  expect_value_error({{"u", Tensor()}}, "tensor \"u\" is undefined");
  expect_value_error({{"\xff", t}}, "UTF-8");
  EXPECT_FALSE(fs::exists(dir / "t.safetensors"));
}

// ---- bad input -----------------------------------------------------------------------------------

struct BadFile {
  const char* label;
  std::string bytes;
  const char* expected;  // part of the message
};

std::string one_tensor(const std::string& fields, const std::string& data) {
  return file_bytes(R"({"x":{)" + fields + "}}", data);
}

// Two F32 tensors "a" and "b" with the given shapes and data_offsets.
std::string two_tensors(const std::string& a_shape, const std::string& a_offsets, const std::string& b_shape,
                        const std::string& b_offsets, const std::string& data) {
  return file_bytes(R"({"a":{"dtype":"F32","shape":)" + a_shape + R"(,"data_offsets":)" + a_offsets +
                        R"(},"b":{"dtype":"F32","shape":)" + b_shape + R"(,"data_offsets":)" + b_offsets + "}}",
                    data);
}

std::vector<BadFile> bad_files() {
  const std::string four = f32_bytes({1.f});
  const std::string eight = f32_bytes({1.f, 2.f});
  return {
      {"empty file", "", "file is 0 bytes, too short for the 8-byte header length"},
      {"truncated length field", std::string("\x10\x00\x00", 3), "file is 3 bytes, too short"},
      {"header longer than the file", u64_le(64) + "{}", "header length 64 exceeds the file size (10 bytes"},
      {"header over 100 MB", u64_le(100'000'001) + "{}", "header length 100000001 exceeds the 100000000-byte limit"},
      {"header length 2^64-1", u64_le(~0ull) + "{}", "exceeds the 100000000-byte limit"},
      {"not JSON", file_bytes("{not json", ""), "header is not valid JSON"},
      {"not starting with {", file_bytes("[1, 2]", ""), "header does not start with '{'"},
      {"garbage after the JSON", file_bytes("{} x", ""), "header is not valid JSON"},
      {"NUL padding", file_bytes(std::string("{}\0\0", 4), ""), "header contains a NUL byte at offset 2"},
      {"NUL then garbage", file_bytes(std::string("{}\0garbage", 10), ""), "NUL byte"},
      {"invalid UTF-8", file_bytes("{\"\xff\":1}", ""), "header is not valid JSON"},
      {"number too large for JSON", file_bytes(R"({"x":1e999})", ""), "header is not valid JSON"},
      {"nested too deep", file_bytes(R"({"x":{"dtype":"F32","shape":[[[[[[[[[1]]]]]]]]]}})", ""), "nests deeper"},
      {"duplicate tensor",
       file_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                  four),
       "header has the key \"x\" twice"},
      {"duplicate field", one_tensor(R"("dtype":"F32","dtype":"I64","shape":[1],"data_offsets":[0,4])", four),
       "key \"dtype\" twice"},
      {"entry not an object", file_bytes(R"({"x":[1,2]})", ""), "tensor \"x\": description is not an object"},
      {"missing dtype", one_tensor(R"("shape":[1],"data_offsets":[0,4])", four), "tensor \"x\": missing \"dtype\""},
      {"missing shape", one_tensor(R"("dtype":"F32","data_offsets":[0,4])", four), "missing \"shape\""},
      {"missing offsets", one_tensor(R"("dtype":"F32","shape":[1])", four), "missing \"data_offsets\""},
      {"unknown field", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1)", four),
       "unknown field \"x\""},
      {"unknown dtype", one_tensor(R"("dtype":"F33","shape":[1],"data_offsets":[0,4])", four),
       "tensor \"x\": unknown dtype \"F33\""},
      {"unsupported dtype", one_tensor(R"("dtype":"F16","shape":[2],"data_offsets":[0,4])", four),
       "dtype F16 is not supported"},
      {"dtype not a string", one_tensor(R"("dtype":32,"shape":[1],"data_offsets":[0,4])", four),
       "\"dtype\" is not a string"},
      {"negative size", one_tensor(R"("dtype":"F32","shape":[-1],"data_offsets":[0,4])", four),
       "shape [-1] has the negative size -1"},
      {"fractional size", one_tensor(R"("dtype":"F32","shape":[2.5],"data_offsets":[0,4])", four),
       "holds 2.5, not an integer size"},
      {"size as a string", one_tensor(R"("dtype":"F32","shape":["1"],"data_offsets":[0,4])", four),
       "not an integer size"},
      {"shape not a list", one_tensor(R"("dtype":"F32","shape":4,"data_offsets":[0,4])", four), "is not a list"},
      {"nine dimensions", one_tensor(R"("dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4])", four),
       "shape [1,1,1,1,1,1,1,1,1] has 9 dimensions, more than the 8 a tensor may have"},
      {"shape product overflows",
       one_tensor(R"("dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4])", four),
       "too many elements (overflows 64 bits)"},
      {"overflow hidden by a zero",
       one_tensor(R"("dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0])", ""), "overflows 64 bits"},
      {"size over int64", one_tensor(R"("dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4])", four),
       "overflows 64 bits"},
      {"shape does not match bytes", one_tensor(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])", eight),
       "data_offsets [0,8] hold 8 bytes, but F32 shape [3] needs 3 x 4"},
      {"bytes not a multiple of the element", one_tensor(R"("dtype":"I64","shape":[1],"data_offsets":[0,4])", four),
       "hold 4 bytes, but I64 shape [1] needs 1 x 8"},
      {"offsets not a pair", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0])", four),
       "is not a pair of integers"},
      {"negative offset", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[-4,0])", four),
       "is not a pair of integers"},
      {"offsets reversed", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[4,0])", four),
       "end before they begin"},
      {"offsets out of bounds", one_tensor(R"("dtype":"F32","shape":[1000],"data_offsets":[0,4000])", four),
       "run past the end of the data section (4 bytes)"},
      {"data truncated", one_tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,8])", four),
       "run past the end of the data section"},
      {"offsets near 2^64",
       one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615])", four),
       "run past the end"},
      {"overlapping tensors", two_tensors("[2]", "[0,8]", "[2]", "[4,12]", f32_bytes({1, 2, 3})),
       "tensors \"a\" at [0, 8] and \"b\" at [4, 12] overlap"},
      {"two tensors, same bytes", two_tensors("[1]", "[0,4]", "[1]", "[0,4]", four), "overlap"},
      {"hole between tensors", two_tensors("[1]", "[0,4]", "[1]", "[8,12]", f32_bytes({1, 2, 3})),
       "data bytes [4, 8) belong to no tensor (a hole before \"b\")"},
      {"hole at the start", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[4,8])", eight),
       "data bytes [0, 4) belong to no tensor"},
      {"trailing garbage", one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4])", eight + "xyz"),
       "7 trailing bytes after the last tensor"},
      {"data but no tensors", file_bytes("{}", "junk"), "4 trailing bytes"},
      {"bool byte not 0 or 1",
       one_tensor(R"("dtype":"BOOL","shape":[3],"data_offsets":[0,3])", std::string("\1\0\2", 3)),
       "BOOL element 2 is 2, not 0 or 1"},
      {"metadata not an object", file_bytes(R"({"__metadata__":[1]})", ""), "\"__metadata__\" is not an object"},
      {"metadata value not a string", file_bytes(R"({"__metadata__":{"epoch":3}})", ""),
       "metadata \"epoch\" is not a string"},
  };
}

TEST(serialize_bad_input, EveryKindGivesAnIOErrorNamingFileAndProblem) {
  TempDir dir;
  for (const BadFile& bad : bad_files()) {
    const fs::path path = dir / "bad.safetensors";
    write_file(path, bad.bytes);
    try {
      (void)load_tensors(path);
      ADD_FAILURE() << bad.label << ": loaded without error";
    } catch (const IOError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path.string()), std::string::npos) << bad.label << ": " << message;
      EXPECT_NE(message.find(bad.expected), std::string::npos)
          << bad.label << ": expected \"" << bad.expected << "\" in: " << message;
    } catch (const std::exception& e) {
      ADD_FAILURE() << bad.label << ": not an IOError: " << e.what();
    }
  }
}

TEST(serialize_bad_input, MessagesQuoteHostileTextShort) {
  TempDir dir;
  const std::string long_name(100000, 'n');
  write_file(dir / "bad.safetensors",
             file_bytes(R"({")" + long_name + R"(":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", "junk"));
  try {
    (void)load_tensors(dir / "bad.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const IOError& e) {
    EXPECT_LT(std::string(e.what()).size(), 1000u);
    EXPECT_NE(std::string(e.what()).find("nnn...\""), std::string::npos) << e.what();
  }
}

TEST(serialize_bad_input, EveryTruncationOfAValidFileIsRefused) {
  TempDir dir;
  save_tensors({{"w", arange(6.0).reshape({2, 3})}, {"i", from_vector(std::vector<std::int64_t>{1, 2}, {2})}},
               dir / "good.safetensors", {{"k", "v"}});
  const std::string good = read_file(dir / "good.safetensors");
  for (std::size_t size = 0; size < good.size(); ++size) {
    write_file(dir / "cut.safetensors", good.substr(0, size));
    EXPECT_THROW((void)load_tensors(dir / "cut.safetensors"), IOError) << "truncated to " << size << " bytes";
  }
}

TEST(serialize_bad_input, MissingFileAndDirectory) {
  TempDir dir;
  try {
    (void)load_tensors(dir / "absent.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.safetensors: cannot open"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  try {
    (void)load_tensors(dir.path());
    ADD_FAILURE() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

// ---- atomic writes -------------------------------------------------------------------------------

TEST(serialize_atomic, FailedSaveLeavesTheOldFile) {
  TempDir dir;
  const fs::path sub = dir / "ro";
  fs::create_directory(sub);
  const fs::path path = sub / "model.safetensors";
  save_tensors({{"old", ones({2})}}, path);
  const std::string before = read_file(path);
  fs::permissions(sub, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(sub.c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running with privileges that ignore directory permissions";
  }
  EXPECT_THROW(save_tensors({{"new", zeros({3})}}, path), IOError);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(sub), fs::directory_iterator()), 1) << "no temporary left behind";
}

TEST(serialize_atomic, FailedSaveLeavesTheOldFileEvenForRoot) {
  // The temporary file's name (target + ".tmp-PID-N") exceeds NAME_MAX, so it cannot be created
  // whatever the privileges: the save fails, and the old file must be intact.
  TempDir dir;
  const fs::path path = dir / (std::string(245, 'm') + ".st");
  const std::string before = "the previous contents";
  write_file(path, before);
  try {
    save_tensors({{"new", zeros({3})}}, path);
    ADD_FAILURE() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(serialize_atomic, WriteFailingHalfwayLeavesTheOldFileAndNoTemporary) {
  // A file-size limit makes the write of the temporary fail partway (EFBIG), for root too: the
  // old file must be intact and the partial temporary gone.
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  const std::string before = "the previous contents";
  write_file(path, before);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // else the write kills the process
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  try {
    save_tensors({{"big", zeros({100000})}}, path);
  } catch (const IOError&) {
    threw = true;
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw) << "a 400 kB save under a 4 kB file-size limit must fail";
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1) << "no temporary left behind";
}

}  // namespace
