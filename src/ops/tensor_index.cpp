// x.index({...}) and x.index_put_({...}, v): libtorch's torch::indexing on ann's views and
// index_select. An index list is resolved in two steps:
//   1. the basic entries (integers, slices, None, "...") become a view of x: select, slice and
//      unsqueeze, left to right, so writes through it reach x;
//   2. the tensor entries, if any, pick elements of that view (NumPy's advanced indexing):
//      a bool mask over k dimensions stands for k int64 tensors, its true positions' indices
//      (row-major); the int64 tensors broadcast together to one shape B, and element b of the
//      result takes, in each indexed dimension, the index its tensor holds at b. The indexed
//      dimensions are replaced by B where they stand when their entries are adjacent in the
//      list, and B comes first otherwise.
#include <algorithm>
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

// The view of step 1, and where the tensor entries of step 2 apply.
struct Resolved {
  Tensor view;
  std::vector<Tensor> tensors;      // the tensor entries, in order
  std::vector<std::int64_t> dims;   // the view's dimension each starts at
};

// A bool mask indexes as many dimensions as it has, an int64 tensor one.
std::int64_t taken_by(const Tensor& t) { return t.dtype() == DType::Bool ? t.dim() : 1; }

std::int64_t dims_taken(const TensorIndex& index) {
  switch (index.kind()) {
    case Kind::Integer:
    case Kind::Slice: return 1;
    case Kind::Tensor: return taken_by(index.tensor());
    case Kind::None:
    case Kind::Ellipsis: return 0;
  }
  return 0;
}

Resolved resolve(const Tensor& x, std::initializer_list<TensorIndex> indices, const char* op) {
  check_defined(x, op);
  std::int64_t taken = 0, ellipses = 0;
  for (const TensorIndex& index : indices) {
    if (index.kind() == Kind::Tensor) {
      check_defined(index.tensor(), op);
      if (index.tensor().dtype() != DType::Bool && index.tensor().dtype() != DType::Int64) {
        throw TypeError(std::string(op) + ": a tensor index must be bool or int64, got " +
                        std::string(to_string(index.tensor().dtype())));
      }
    }
    ellipses += index.kind() == Kind::Ellipsis;
    taken += dims_taken(index);
  }
  if (ellipses > 1) throw ValueError(std::string(op) + ": an index may hold one \"...\", got " + std::to_string(ellipses));
  if (taken > x.dim()) {
    throw ValueError(std::string(op) + ": too many indices for a tensor of shape " + to_string(x.sizes()) + " (" +
                     std::to_string(taken) + " dimensions indexed)");
  }
  Resolved r{x, {}, {}};
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
        r.tensors.push_back(index.tensor());
        r.dims.push_back(d);
        d += dims_taken(index);
        break;
      }
    }
  }
  return r;
}

void check_mask_shape(const Tensor& mask, const Tensor& view, std::int64_t dim, const char* op) {
  for (std::int64_t k = 0; k < mask.dim(); ++k) {
    if (mask.size(k) != view.size(dim + k)) {
      throw ShapeError(std::string(op) + ": the mask of shape " + to_string(mask.sizes()) + " does not match the shape " +
                       to_string(view.sizes()) + " at dimension " + std::to_string(dim + k));
    }
  }
}

// Step 2's picks: for each indexed dimension of the view (ascending, one per int64 tensor, k
// per mask), the index of each element of B, row-major, wrapped and checked.
struct Picks {
  std::vector<std::int64_t> dims;
  std::vector<std::vector<std::int64_t>> at;  // at[k][b]
  Shape shape;                                // B
  bool adjacent = true;                       // B stands where the indexed dimensions were
  std::int64_t count() const { return numel_of(shape); }
};

Picks picks(const Resolved& r, const char* op) {
  std::vector<Tensor> indices;  // int64, one per indexed dimension
  Picks p;
  for (std::size_t e = 0; e < r.tensors.size(); ++e) {
    const Tensor& t = r.tensors[e];
    if (e > 0 && r.dims[e] != r.dims[e - 1] + taken_by(r.tensors[e - 1])) p.adjacent = false;
    if (t.dtype() == DType::Int64) {
      indices.push_back(t);
      p.dims.push_back(r.dims[e]);
      continue;
    }
    check_mask_shape(t, r.view, r.dims[e], op);
    const std::vector<bool> mask = t.to_vector<bool>();
    std::vector<std::vector<std::int64_t>> coords(static_cast<std::size_t>(t.dim()));
    for (std::size_t i = 0; i < mask.size(); ++i) {
      if (!mask[i]) continue;
      auto rest = static_cast<std::int64_t>(i);
      for (std::int64_t k = t.dim(); k-- > 0;) {
        coords[static_cast<std::size_t>(k)].push_back(rest % t.size(k));
        rest /= t.size(k);
      }
    }
    for (std::int64_t k = 0; k < t.dim(); ++k) {
      auto& c = coords[static_cast<std::size_t>(k)];
      indices.push_back(from_vector(c, {static_cast<std::int64_t>(c.size())}));
      p.dims.push_back(r.dims[e] + k);
    }
  }
  for (const Tensor& t : indices) {
    try {
      p.shape = broadcast_shapes(p.shape, t.sizes(), op);
    } catch (const ShapeError&) {
      std::string shapes;
      for (const Tensor& u : indices) shapes += (shapes.empty() ? "" : ", ") + to_string(u.sizes());
      throw ShapeError(std::string(op) + ": the index tensors' shapes " + shapes + " do not broadcast together");
    }
  }
  for (std::size_t k = 0; k < indices.size(); ++k) {
    std::vector<std::int64_t> at = indices[k].expand(p.shape).contiguous().to_vector<std::int64_t>();
    const std::int64_t n = r.view.size(p.dims[k]);
    for (std::int64_t& i : at) {
      if (i < -n || i >= n) {
        throw ValueError(std::string(op) + ": index " + std::to_string(i) + " is out of range for dimension " +
                         std::to_string(p.dims[k]) + " of size " + std::to_string(n));
      }
      if (i < 0) i += n;
    }
    p.at.push_back(std::move(at));
  }
  return p;
}

// The view's dimensions that no tensor indexes, in order.
std::vector<std::int64_t> other_dims(const Tensor& view, const Picks& p) {
  std::vector<std::int64_t> rest;
  for (std::int64_t d = 0; d < view.dim(); ++d)
    if (std::find(p.dims.begin(), p.dims.end(), d) == p.dims.end()) rest.push_back(d);
  return rest;
}

// The result's layout before the final move: B first, then the other dimensions; and the
// permutation that moves B to where the indexed dimensions stood when they are adjacent.
Shape picked_shape(const Tensor& view, const Picks& p) {
  Shape shape = p.shape;
  for (const std::int64_t d : other_dims(view, p)) shape.push_back(view.size(d));
  return shape;
}
std::vector<std::int64_t> to_result_order(const Tensor& view, const Picks& p) {
  const auto b = static_cast<std::int64_t>(p.shape.size());
  const std::int64_t before = p.adjacent ? p.dims.front() : 0;  // other dimensions ahead of B
  const auto all = static_cast<std::int64_t>(picked_shape(view, p).size());
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < before; ++d) order.push_back(b + d);
  for (std::int64_t d = 0; d < b; ++d) order.push_back(d);
  for (std::int64_t d = b + before; d < all; ++d) order.push_back(d);
  return order;
}

}  // namespace

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
  const Resolved r = resolve(*this, indices, "index");
  if (r.tensors.empty()) return r.view;
  const Picks p = picks(r, "index");
  // The indexed dimensions moved first and merged into one, the picks as flat positions in it.
  std::vector<std::int64_t> order = p.dims;
  for (const std::int64_t d : other_dims(r.view, p)) order.push_back(d);
  Shape merged_shape{-1};
  for (std::size_t k = p.dims.size(); k < order.size(); ++k) merged_shape.push_back(r.view.size(order[k]));
  const Tensor merged = r.view.permute(order).reshape(merged_shape);
  std::vector<std::int64_t> flat(static_cast<std::size_t>(p.count()), 0);
  for (std::size_t k = 0; k < p.dims.size(); ++k)
    for (std::size_t b = 0; b < flat.size(); ++b) flat[b] = flat[b] * r.view.size(p.dims[k]) + p.at[k][b];
  const Tensor picked = index_select(merged, 0, from_vector(flat, {p.count()})).reshape(picked_shape(r.view, p));
  return picked.permute(to_result_order(r.view, p));
}

Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values) {
  check_defined(values, "index_put_");
  Resolved r = resolve(*this, indices, "index_put_");
  if (r.tensors.empty()) {
    r.view.copy_(values);  // a view of this tensor: the write reaches it
    return *this;
  }
  // One write per element of B, through views of this tensor: the values, broadcast to the
  // shape index() gives, are read in index()'s layout before its final move (B first).
  const Picks p = picks(r, "index_put_");
  const Shape picked = picked_shape(r.view, p);
  const std::vector<std::int64_t> order = to_result_order(r.view, p);
  Shape result_shape;
  for (const std::int64_t d : order) result_shape.push_back(picked[static_cast<std::size_t>(d)]);
  if (broadcast_shapes(result_shape, values.sizes(), "index_put_") != result_shape) {
    throw ShapeError("index_put_: values of shape " + to_string(values.sizes()) + " do not broadcast to the indexed shape " +
                     to_string(result_shape));
  }
  std::vector<std::int64_t> back(order.size());  // the inverse of order
  for (std::size_t i = 0; i < order.size(); ++i) back[static_cast<std::size_t>(order[i])] = static_cast<std::int64_t>(i);
  Shape rows_shape{p.count()};
  for (std::size_t d = p.shape.size(); d < picked.size(); ++d) rows_shape.push_back(picked[d]);
  const Tensor rows = values.expand(result_shape).permute(back).reshape(rows_shape);
  for (std::int64_t b = 0; b < p.count(); ++b) {
    Tensor target = r.view;
    for (std::size_t k = p.dims.size(); k-- > 0;)  // the highest dimension first: the lower keep their places
      target = target.select(p.dims[k], p.at[k][static_cast<std::size_t>(b)]);
    target.copy_(rows.select(0, b));
  }
  return *this;
}

Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, double value) {
  Resolved r = resolve(*this, indices, "index_put_");
  if (r.tensors.empty()) {
    r.view.fill_(value);
    return *this;
  }
  if (r.tensors.size() == 1 && r.tensors.front().dtype() == DType::Bool) {
    // x[mask] = v is masked_fill_ with the mask placed at its dimensions (broadcast elsewhere)
    const Tensor& mask = r.tensors.front();
    const std::int64_t dim = r.dims.front();
    check_mask_shape(mask, r.view, dim, "index_put_");
    Shape mask_shape(static_cast<std::size_t>(dim), 1);
    for (const std::int64_t s : mask.sizes()) mask_shape.push_back(s);
    mask_shape.resize(static_cast<std::size_t>(r.view.dim()), 1);
    r.view.masked_fill_(mask.reshape(mask_shape), value);
    return *this;
  }
  return index_put_(indices, full({}, value, TensorOptions().dtype(dtype()).device(device())));
}

}  // namespace ann
