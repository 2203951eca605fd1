// compare_output PROGRAM EXPECTED: runs PROGRAM and compares its output with the file EXPECTED
// line by line; numbers agree within 2e-5 relative (float32's rounding across two libraries),
// every other word exactly. Prints the first difference and exits 1.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {
std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}
bool same(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  if (*end_a || *end_b || a.empty() || b.empty()) return false;
  return std::abs(x - y) <= 2e-5 * std::max(1.0, std::abs(y));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: compare_output PROGRAM EXPECTED\n";
    return 2;
  }
  FILE* pipe = popen(argv[1], "r");
  if (!pipe) return 2;
  std::string got;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) got += buffer;
  if (pclose(pipe) != 0) {
    std::cerr << argv[1] << " failed; its output:\n" << got;
    return 1;
  }
  std::ifstream file(argv[2]);
  std::stringstream want;
  want << file.rdbuf();
  std::istringstream g(got), w(want.str());
  std::string gl, wl;
  for (int n = 1;; ++n) {
    const bool more_g = static_cast<bool>(std::getline(g, gl)), more_w = static_cast<bool>(std::getline(w, wl));
    if (!more_g && !more_w) break;
    const auto a = words(more_g ? gl : ""), b = words(more_w ? wl : "");
    bool ok = a.size() == b.size();
    for (std::size_t i = 0; ok && i < a.size(); ++i) ok = same(a[i], b[i]);
    if (!ok) {
      std::cerr << "line " << n << " differs\n  ann:     " << gl << "\n  libtorch: " << wl << "\n";
      return 1;
    }
  }
  return 0;
}
