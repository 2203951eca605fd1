// x.index({...}) and x.index_put_({...}, v): libtorch's torch::indexing on ann's views and
// index_select. An index list is resolved in two steps:
//   1. the basic entries (integers, slices, None, "...") become a view of x: select, slice and
//      unsqueeze, left to right, so writes through it reach x;
//   2. the one tensor entry, if any, picks along the dimension where it stands: an int64 tensor
//      of shape S replaces that dimension by S (index_select, then a reshape); a bool mask over
//      k dimensions merges them into one of its true count (its positions, row-major).
#include <string>
#include <vector>

#include "ann/error.h"
#include "ann/indexing.h"
#include "ann/ops.h"
#include "tensor_impl.h"

namespace ann {

using indexing::TensorIndex;
using Kind = TensorIndex::Kind;

namespace indexing {
TensorIndex::TensorIndex(const char* text) : kind_(Kind::Ellipsis) {
  if (text == nullptr || std::string(text) != "...") {
    throw ValueError(std::string("index: the only text an index may be is \"...\", got \"") +
                     (text ? text : "(null)") + "\"");
  }
}
}  // namespace indexing

namespace {

// The view of step 1, and where the tensor entry of step 2 applies.
struct Resolved {
  Tensor view;
  Tensor tensor;          // the tensor entry (undefined if none)
  std::int64_t dim = 0;   // the view's dimension it starts at
};

std::int64_t dims_taken(const TensorIndex& index) {
  switch (index.kind()) {
    case Kind::Integer:
    case Kind::Slice: return 1;
    case Kind::Tensor: return index.tensor().dtype() == DType::Bool ? index.tensor().dim() : 1;
    case Kind::None:
    case Kind::Ellipsis: return 0;
  }
  return 0;
}

Resolved resolve(const Tensor& x, std::initializer_list<TensorIndex> indices, const char* op) {
  check_defined(x, op);
  std::int64_t taken = 0, ellipses = 0, tensors = 0;
  for (const TensorIndex& index : indices) {
    if (index.kind() == Kind::Tensor) {
      check_defined(index.tensor(), op);
      if (index.tensor().dtype() != DType::Bool && index.tensor().dtype() != DType::Int64) {
        throw TypeError(std::string(op) + ": a tensor index must be bool or int64, got " +
                        std::string(to_string(index.tensor().dtype())));
      }
      ++tensors;
    }
    ellipses += index.kind() == Kind::Ellipsis;
    taken += dims_taken(index);
  }
  if (ellipses > 1) throw ValueError(std::string(op) + ": an index may hold one \"...\", got " + std::to_string(ellipses));
  if (tensors > 1) {
    throw ValueError(std::string(op) + ": ann takes one tensor index per call, got " + std::to_string(tensors) +
                     "; index in two steps");
  }
  if (taken > x.dim()) {
    throw ValueError(std::string(op) + ": too many indices for a tensor of shape " + to_string(x.sizes()) + " (" +
                     std::to_string(taken) + " dimensions indexed)");
  }
  Resolved r{x, {}, 0};
  std::int64_t d = 0;  // the view's dimension the next entry indexes
  for (const TensorIndex& index : indices) {
    switch (index.kind()) {
      case Kind::Integer: {
        const std::int64_t n = r.view.size(d), i = index.integer();
        if (i < -n || i >= n) {
          throw ValueError(std::string(op) + ": index " + std::to_string(i) + " is out of range for dimension " +
                           std::to_string(d) + " of size " + std::to_string(n));
        }
        r.view = r.view.select(d, i);
        break;
      }
      case Kind::Slice: {
        const indexing::Slice& s = index.slice();
        const std::int64_t step = s.step.value_or(1);
        if (step < 1) throw ValueError(std::string(op) + ": a slice's step must be positive, got " + std::to_string(step));
        r.view = r.view.slice(d, s.start.value_or(0), s.stop.value_or(r.view.size(d)), step);
        ++d;
        break;
      }
      case Kind::None: r.view = r.view.unsqueeze(d); ++d; break;
      case Kind::Ellipsis: d += x.dim() - taken; break;
      case Kind::Tensor: {
        r.tensor = index.tensor();
        r.dim = d;
        d += dims_taken(index);
        break;
      }
    }
  }
  return r;
}

// The tensor entry as flat positions along one dimension of `view` (a bool mask's dims merged):
// int64, negative entries wrapped, each checked in range.
Tensor positions(const Resolved& r, const char* op) {
  const Tensor& t = r.tensor;
  if (t.dtype() == DType::Int64) {
    const std::int64_t n = r.view.size(r.dim);
    std::vector<std::int64_t> at = t.to_vector<std::int64_t>();
    for (std::int64_t& i : at) {
      if (i < -n || i >= n) {
        throw ValueError(std::string(op) + ": index " + std::to_string(i) + " is out of range for dimension " +
                         std::to_string(r.dim) + " of size " + std::to_string(n));
      }
      if (i < 0) i += n;
    }
    return from_vector(at, {static_cast<std::int64_t>(at.size())});
  }
  for (std::int64_t k = 0; k < t.dim(); ++k) {
    if (t.size(k) != r.view.size(r.dim + k)) {
      throw ShapeError(std::string(op) + ": the mask of shape " + to_string(t.sizes()) + " does not match the shape " +
                       to_string(r.view.sizes()) + " at dimension " + std::to_string(r.dim + k));
    }
  }
  std::vector<std::int64_t> at;
  const std::vector<bool> mask = t.to_vector<bool>();
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) at.push_back(static_cast<std::int64_t>(i));
  return from_vector(at, {static_cast<std::int64_t>(at.size())});
}

// The shape of view with dimensions [dim, dim + taken) replaced by `middle`.
Shape replaced(const Shape& shape, std::int64_t dim, std::int64_t taken, const Shape& middle) {
  Shape out;
  for (std::int64_t d = 0; d < dim; ++d) out.push_back(shape[static_cast<std::size_t>(d)]);
  for (const std::int64_t s : middle) out.push_back(s);
  for (auto d = static_cast<std::size_t>(dim + taken); d < shape.size(); ++d) out.push_back(shape[d]);
  return out;
}

std::int64_t taken_by(const Tensor& t) { return t.dtype() == DType::Bool ? t.dim() : 1; }

}  // namespace

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
  const Resolved r = resolve(*this, indices, "index");
  if (!r.tensor.defined()) return r.view;
  const Tensor at = positions(r, "index");
  const std::int64_t taken = taken_by(r.tensor);
  // the indexed dimensions as one, then the positions picked from it
  const Tensor merged = r.view.reshape(replaced(r.view.sizes(), r.dim, taken, {-1}));
  const Tensor picked = index_select(merged, r.dim, at);
  if (r.tensor.dtype() == DType::Bool) return picked;
  return picked.reshape(replaced(r.view.sizes(), r.dim, 1, r.tensor.sizes()));
}

Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values) {
  check_defined(values, "index_put_");
  Resolved r = resolve(*this, indices, "index_put_");
  if (!r.tensor.defined()) {
    r.view.copy_(values);  // a view of this tensor: the write reaches it
    return *this;
  }
  // One write per picked position, through views of this tensor. The values are broadcast to
  // the shape index() gives, with the picked positions along r.dim.
  const Tensor at = positions(r, "index_put_");
  const std::int64_t taken = taken_by(r.tensor);
  const Shape picked_shape = replaced(r.view.sizes(), r.dim, taken, {at.numel()});
  const Shape result_shape =
      r.tensor.dtype() == DType::Bool ? picked_shape : replaced(r.view.sizes(), r.dim, 1, r.tensor.sizes());
  if (broadcast_shapes(result_shape, values.sizes(), "index_put_") != result_shape) {
    throw ShapeError("index_put_: values of shape " + to_string(values.sizes()) + " do not broadcast to the indexed shape " +
                     to_string(result_shape));
  }
  const Tensor rows = values.expand(result_shape).reshape(picked_shape);
  Shape inner;
  for (std::int64_t k = 0; k < taken; ++k) inner.push_back(r.view.size(r.dim + k));
  const std::vector<std::int64_t> flat = at.to_vector<std::int64_t>();
  for (std::size_t j = 0; j < flat.size(); ++j) {
    // flat position → its index in each of the indexed dimensions (row-major)
    Tensor target = r.view;
    std::int64_t rest = flat[j];
    std::vector<std::int64_t> coords(inner.size());
    for (std::size_t k = inner.size(); k-- > 0;) {
      coords[k] = rest % inner[k];
      rest /= inner[k];
    }
    for (const std::int64_t c : coords) target = target.select(r.dim, c);
    target.copy_(rows.select(r.dim, static_cast<std::int64_t>(j)));
  }
  return *this;
}

Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, double value) {
  Resolved r = resolve(*this, indices, "index_put_");
  if (!r.tensor.defined()) {
    r.view.fill_(value);
    return *this;
  }
  if (r.tensor.dtype() == DType::Bool) {
    // x[mask] = v is masked_fill_ with the mask placed at its dimensions (broadcast elsewhere)
    Shape mask_shape(static_cast<std::size_t>(r.dim), 1);
    for (const std::int64_t s : r.tensor.sizes()) mask_shape.push_back(s);
    mask_shape.resize(static_cast<std::size_t>(r.view.dim()), 1);
    positions(r, "index_put_");  // checks the mask's shape
    r.view.masked_fill_(r.tensor.reshape(mask_shape), value);
    return *this;
  }
  return index_put_(indices, full({}, value, TensorOptions().dtype(dtype()).device(device())));
}

}  // namespace ann
