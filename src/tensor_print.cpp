// Printing in PyTorch's style, e.g.
//   tensor([[0.1000, 0.2000],
//           [0.3000, 0.4000]], requires_grad=True)
// Floats use 4 decimals, "1." when every value is a whole number, and scientific notation
// when the magnitudes span more than 1000× or leave [1e-4, 1e8]; tensors of more than 1000
// elements show the first and last 3 entries of each dimension around "...".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <ostream>

#include "ann/tensor.h"
#include "tensor_impl.h"

namespace ann {

namespace {

constexpr std::int64_t kSummariseAbove = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr std::size_t kLineWidth = 80;

enum class FloatStyle { Whole, Fixed, Scientific };

struct Formatter {
  DType dtype;
  FloatStyle style = FloatStyle::Fixed;
  std::size_t width = 1;

  std::string format(double v) const {
    char buf[64];
    if (dtype == DType::Bool) return v != 0.0 ? "True" : "False";
    if (dtype == DType::Int64) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else if (!std::isfinite(v)) {
      return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    } else if (style == FloatStyle::Whole) {
      std::snprintf(buf, sizeof buf, "%.0f.", v);
    } else if (style == FloatStyle::Scientific) {
      std::snprintf(buf, sizeof buf, "%.4e", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.4f", v);
    }
    return buf;
  }
  std::string padded(double v) const {
    std::string s = format(v);
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

Formatter make_formatter(DType dtype, const std::vector<double>& shown) {
  Formatter f{dtype};
  if (is_floating_point(dtype)) {
    double lo = INFINITY, hi = 0.0;
    bool whole = true;
    for (double v : shown) {
      if (!std::isfinite(v) || v == 0.0) continue;
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      whole = whole && std::ceil(v) == v;
    }
    const bool any = hi > 0.0;
    if (whole) {
      f.style = any && (hi / lo > 1000.0 || hi > 1e8) ? FloatStyle::Scientific : FloatStyle::Whole;
    } else {
      f.style = any && (hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4) ? FloatStyle::Scientific : FloatStyle::Fixed;
    }
  }
  // torch sizes the columns by the nonzero finite values only (zeros, nan and inf are padded to
  // that width, never widen it); integers and bools by every value.
  for (double v : shown) {
    if (is_floating_point(dtype) && (v == 0.0 || !std::isfinite(v))) continue;
    f.width = std::max(f.width, f.format(v).size());
  }
  return f;
}

struct Printer {
  const TensorImpl& t;
  bool summarise;

  double value(std::int64_t off) const {
    const void* base = t.storage->data();
    switch (t.dtype) {
      case DType::Float32: return static_cast<const float*>(base)[off];
      case DType::Float64: return static_cast<const double*>(base)[off];
      case DType::Int64: return static_cast<double>(static_cast<const std::int64_t*>(base)[off]);
      case DType::Bool: return static_cast<const bool*>(base)[off] ? 1.0 : 0.0;
    }
    return 0.0;
  }

  // The indices of dimension `d` that are shown (-1 marks the "..." gap).
  std::vector<std::int64_t> shown_indices(std::size_t d) const {
    const std::int64_t n = t.sizes[d];
    std::vector<std::int64_t> idx;
    if (summarise && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::size_t d, std::int64_t off, std::vector<double>& out) const {
    if (d == t.sizes.size()) {
      out.push_back(value(off));
      return;
    }
    for (std::int64_t i : shown_indices(d))
      if (i >= 0) collect(d + 1, off + i * t.strides[d], out);
  }

  std::string render(std::size_t d, std::int64_t off, std::size_t indent, const Formatter& f) const {
    if (d == t.sizes.size()) return f.padded(value(off));
    std::string s = "[";
    const auto idx = shown_indices(d);
    const bool last_dim = d + 1 == t.sizes.size();
    const std::size_t per_line = std::max<std::size_t>(1, (kLineWidth - indent) / (f.width + 2));
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0) {
        if (last_dim) {
          s += k % per_line == 0 ? ",\n" : ", ";
          if (k % per_line == 0) s.append(indent + 1, ' ');
        } else {
          s += ',';
          s.append(t.sizes.size() - d - 1, '\n');
          s.append(indent + 1, ' ');
        }
      }
      // torch writes the gap of a row of numbers as " ..." (one more space), of a block as "..."
      if (idx[k] < 0) s += last_dim ? " ..." : "...";
      else s += render(d + 1, off + idx[k] * t.strides[d], indent + 1, f);
    }
    return s + "]";
  }
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const TensorImpl& t = *impl();
  // Elements are read on the host: from a CPU copy of a tensor on another device.
  const Tensor host = device().is_cpu() ? *this : detach().to(Device());
  const Printer p{*host.impl(), t.numel > kSummariseAbove};
  std::vector<double> shown;
  p.collect(0, host.impl()->offset, shown);
  const Formatter f = make_formatter(t.dtype, shown);
  std::string body = t.numel == 0 && !t.sizes.empty() ? "[]" : p.render(0, host.impl()->offset, 7, f);
  std::string s = "tensor(" + body;
  if (t.numel == 0 && t.sizes.size() != 1) {  // torch's tuple: size=(0, 3)
    std::string size = to_string(t.sizes);
    s += ", size=(" + size.substr(1, size.size() - 2) + ")";
  }
  if (!device().is_cpu()) s += ", device='" + device().str() + "'";
  // torch names a type the values do not show: float64 (printed as floats), and any type but
  // float32 when there are no values to tell it by
  if (t.dtype == DType::Float64 || (t.numel == 0 && t.dtype != DType::Float32))
    s += ", dtype=torch." + std::string(to_string(t.dtype));
  if (t.grad_fn) s += ", grad_fn=<" + grad_fn_name() + ">";
  else if (t.requires_grad) s += ", requires_grad=True";
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace ann
