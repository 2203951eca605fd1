#pragma once
// Shared by the test_plot*.cpp programs: small deterministic inputs for the lesson's figures,
// pixel comparisons, and tiny checkers for SVG (well-formed XML) and GIF (block structure)
// that do not use the libraries that wrote them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "ann/lesson.h"
#include "ann/plot/figure.h"
#include "ann/plot/lesson_figures.h"

// Under AddressSanitizer: fontconfig (reached through cairo's toy font API) leaks its parsed
// configuration and a few patterns once per process; that is not ann's to fix, so LeakSanitizer
// is told to ignore allocations made inside libfontconfig. Each test program includes this
// header from exactly one source file, so the hook is defined once.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace ann::plot::testing {

// matplotlib's Spectral for 3 classes, written out: a changed colour map fails the tests.
inline constexpr RGB8 kClass0{158, 1, 66};     // #9e0142
inline constexpr RGB8 kClass1{255, 255, 190};  // table entry 128 of 256, a hair past #ffffbf
inline constexpr RGB8 kClass2{94, 79, 162};    // #5e4fa2
inline constexpr RGB8 kClasses[3] = {kClass0, kClass1, kClass2};
inline constexpr RGB8 kBlack{0, 0, 0};
inline constexpr RGB8 kWhite{255, 255, 255};

/// `top` at `alpha` over `under`, rounded: what a class region looks like on the background.
inline RGB8 blend(RGB8 top, double alpha, RGB8 under) {
  auto mix = [&](int t, int u) { return static_cast<std::uint8_t>(std::lround(alpha * t + (1 - alpha) * u)); };
  return {mix(top.r, under.r), mix(top.g, under.g), mix(top.b, under.b)};
}

inline std::string show(RGB8 c) {
  std::ostringstream out;
  out << "(" << int{c.r} << ", " << int{c.g} << ", " << int{c.b} << ")";
  return out.str();
}

inline bool near(RGB8 a, RGB8 b, int tol) {
  return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol;
}

inline ::testing::AssertionResult pixel_is(const Image& image, double px, double py, RGB8 expected, int tol = 2) {
  const int x = static_cast<int>(std::floor(px)), y = static_cast<int>(std::floor(py));
  const RGB8 got = image.at(x, y);
  if (near(got, expected, tol)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "pixel (" << x << ", " << y << ") is " << show(got) << ", expected "
                                       << show(expected) << " ± " << tol;
}

/// A fresh, empty directory for one test's files, removed with everything in it at the end
/// of its scope. The process id keeps tests that ctest runs in parallel apart.
class Scratch {
 public:
  explicit Scratch(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() / ("ann_test_plot_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The lesson's spiral, small, from a private generator.
inline data::Labelled small_spiral(std::int64_t per_class, double noise = 0.2) {
  Generator generator(12345);
  return data::spiral(per_class, 3, noise, generator);
}

/// Linear(2, 3) whose class c scores the projection on the unit vector at angle kWedge[c]:
/// argmax picks the nearest of the three directions, so the plane splits into three wedges
/// meeting at the origin. The angles are uneven so that a transposed or flipped grid shows.
inline constexpr double kWedge[3] = {80.0, 200.0, 320.0};
inline nn::Sequential wedge_model() {
  Generator generator(1);
  nn::Sequential model{nn::Linear(2, 3, true, generator)};
  auto& layer = model.at<nn::Linear>(0);
  NoGradGuard no_grad;  // setting parameters by hand is not part of a graph
  for (std::int64_t c = 0; c < 3; ++c) {
    const double a = kWedge[c] * std::numbers::pi / 180.0;
    layer.weight.set<float>({c, 0}, static_cast<float>(std::cos(a)));
    layer.weight.set<float>({c, 1}, static_cast<float>(std::sin(a)));
    layer.bias.set<float>({c}, 0.0f);
  }
  return model;
}

/// One point of each class, far out along its wedge's direction.
inline data::Labelled wedge_data() {
  std::vector<float> xy;
  for (double deg : kWedge) {
    xy.push_back(static_cast<float>(std::cos(deg * std::numbers::pi / 180.0)));
    xy.push_back(static_cast<float>(std::sin(deg * std::numbers::pi / 180.0)));
  }
  return {from_vector(xy, {3, 2}), from_vector(std::vector<std::int64_t>{0, 1, 2}, {3})};
}

/// Loss and accuracy curves shaped like the lesson's, without training.
inline lesson::History synthetic_history(std::size_t epochs, double final_loss, double final_accuracy) {
  lesson::History h;
  for (std::size_t t = 0; t < epochs; ++t) {
    const double f = std::exp(-4.0 * static_cast<double>(t) / static_cast<double>(epochs));
    h.loss.push_back(static_cast<float>(final_loss + (1.1 - final_loss) * f));
    h.accuracy.push_back(static_cast<float>(final_accuracy - (final_accuracy - 0.33) * f));
  }
  return h;
}

/// A regression "run" made by hand: the cubic data, a fixed linear fit, and `per_family`
/// curves per family whose spread is known and grows away from x = 0.
inline lesson::RegressionRun synthetic_regression(std::int64_t per_family = 2) {
  NoGradGuard no_grad;
  lesson::RegressionRun run;
  const Tensor X = linspace(-1.0, 1.0, 40).unsqueeze(1);
  run.data = {X, pow(X, 3.0f) + 0.15f};
  Generator generator(2);
  run.linear_model = std::make_shared<nn::Sequential>(nn::Sequential{nn::Linear(1, 1, true, generator)});
  {
    NoGradGuard no_grad;
    run.linear_model->at<nn::Linear>(0).weight.set<float>({0, 0}, 0.9f);
    run.linear_model->at<nn::Linear>(0).bias.set<float>({0}, 0.15f);
  }
  run.x_new = linspace(-4.0, 4.0, 1001);
  std::vector<Tensor> relu, tanh_;
  for (std::int64_t k = 0; k < 2 * per_family; ++k) {
    lesson::RegressionNet net;
    net.activation = k < per_family ? lesson::Activation::ReLU : lesson::Activation::Tanh;
    const float s = 0.1f * static_cast<float>(k % per_family + 1);
    net.before = X * (s - 0.15f) + 0.05f * static_cast<float>(k);
    // The cubic, plus a term that vanishes at 0 and grows outwards, different per net.
    net.predictions = pow(run.x_new, 3.0f) * 0.3f + 0.15f + pow(run.x_new, 2.0f) * s;
    (net.activation == lesson::Activation::ReLU ? relu : tanh_).push_back(net.predictions);
    run.nets.push_back(net);
  }
  run.var_relu = var(stack(relu, 0), 0);
  run.std_relu = sqrt(run.var_relu);
  run.var_tanh = var(stack(tanh_, 0), 0);
  run.std_tanh = sqrt(run.var_tanh);
  return run;
}

/// Whether `text` is well-formed XML as far as tags go: every element closed, in order.
/// Skips the prolog, comments and CDATA; checks attribute quotes are balanced.
inline ::testing::AssertionResult well_formed_xml(const std::string& text) {
  std::vector<std::string> open;
  std::size_t pos = 0, elements = 0;
  while ((pos = text.find('<', pos)) != std::string::npos) {
    if (text.compare(pos, 4, "<!--") == 0) {
      pos = text.find("-->", pos);
      if (pos == std::string::npos) return ::testing::AssertionFailure() << "unterminated comment";
      continue;
    }
    if (text.compare(pos, 9, "<![CDATA[") == 0) {
      pos = text.find("]]>", pos);
      if (pos == std::string::npos) return ::testing::AssertionFailure() << "unterminated CDATA";
      continue;
    }
    // The end of the tag: the first '>' outside quotes.
    std::size_t end = pos + 1;
    char quote = 0;
    for (; end < text.size(); ++end) {
      if (quote) {
        if (text[end] == quote) quote = 0;
      } else if (text[end] == '"' || text[end] == '\'') {
        quote = text[end];
      } else if (text[end] == '>') {
        break;
      }
    }
    if (end >= text.size()) return ::testing::AssertionFailure() << "unterminated tag at byte " << pos;
    const std::string tag = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag";
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1, tag.find_first_of(" \t\n") - 1);
      if (open.empty() || open.back() != name)
        return ::testing::AssertionFailure()
               << "</" << name << "> closes <" << (open.empty() ? "" : open.back()) << ">";
      open.pop_back();
      continue;
    }
    ++elements;
    if (tag.back() != '/') open.push_back(tag.substr(0, tag.find_first_of(" \t\n/")));
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> is never closed";
  if (elements == 0) return ::testing::AssertionFailure() << "no elements";
  return ::testing::AssertionSuccess();
}

/// Occurrences of `needle` in `text`.
inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

/// What the block structure of a GIF file says.
struct GifInfo {
  bool valid = false;
  std::string error;
  std::string version;
  int width = 0, height = 0;
  int frames = 0;
  bool loops = false;
  std::vector<int> delays;  // from each graphic control extension, in 1/100 s
};

inline GifInfo parse_gif(const std::string& b) {
  GifInfo info;
  auto u8 = [&](std::size_t i) { return static_cast<unsigned char>(b.at(i)); };
  auto u16 = [&](std::size_t i) { return u8(i) | u8(i + 1) << 8; };
  try {
    info.version = b.substr(0, 6);
    if (info.version != "GIF89a" && info.version != "GIF87a") throw std::runtime_error("bad signature");
    info.width = u16(6);
    info.height = u16(8);
    std::size_t pos = 13;
    if (u8(10) & 0x80) pos += 3u * (1u << ((u8(10) & 7) + 1));  // global colour table
    auto sub_blocks = [&](std::vector<std::string>* out) {
      for (std::size_t n; (n = u8(pos++)) != 0; pos += n)
        if (out) out->push_back(b.substr(pos, n));
    };
    for (;;) {
      const unsigned char kind = u8(pos++);
      if (kind == 0x3B) break;  // trailer
      if (kind == 0x21) {       // extension
        const unsigned char label = u8(pos++);
        std::vector<std::string> blocks;
        sub_blocks(&blocks);
        if (label == 0xFF && !blocks.empty() && blocks[0] == "NETSCAPE2.0") info.loops = true;
        if (label == 0xF9 && !blocks.empty() && blocks[0].size() == 4)
          info.delays.push_back(static_cast<unsigned char>(blocks[0][1]) | static_cast<unsigned char>(blocks[0][2])
                                                                               << 8);
      } else if (kind == 0x2C) {  // image
        const unsigned char packed = u8(pos + 8);
        pos += 9;
        if (packed & 0x80) pos += 3u * (1u << ((packed & 7) + 1));  // local colour table
        ++pos;                                                      // LZW minimum code size
        sub_blocks(nullptr);
        ++info.frames;
      } else {
        throw std::runtime_error("unknown block 0x" + std::to_string(kind));
      }
    }
    info.valid = true;
  } catch (const std::exception& e) {
    info.error = e.what();
  }
  return info;
}

}  // namespace ann::plot::testing
