// Views and copies that change shape: view/reshape/squeeze/unsqueeze/transpose/slice/select
// share storage with their input; clone/contiguous copy; stack/cat join. Each gradient is
// the inverse rearrangement of dy.
#include <algorithm>

#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;

namespace {

Tensor alias(const Tensor& base, Shape sizes, Shape strides, std::int64_t offset) {
  const TensorImpl& b = *base.impl();
  Tensor view(make_pooled<TensorImpl>(b.storage, offset, std::move(sizes), std::move(strides), b.dtype));
  if (is_grad_enabled()) {  // a write through it may rebase the base's graph (autograd/in_place.h)
    TensorImpl& v = *view.impl();
    v.view_base = b.view_base ? b.view_base : base.impl();
    v.view_version = b.storage->version;
  }
  return view;
}

// Resolves one -1 in a requested shape against numel; throws ShapeError naming `op`.
Shape infer_shape(Shape shape, std::int64_t numel, const Shape& from, const char* op) {
  std::int64_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (unknown >= 0) throw ShapeError(std::string(op) + ": only one dimension can be -1, got " + to_string(shape));
      unknown = static_cast<int>(i);
    } else if (shape[i] < 0) {
      throw ShapeError(std::string(op) + ": invalid size in shape " + to_string(shape));
    } else {
      known *= shape[i];
    }
  }
  if (unknown >= 0 && known != 0 && numel % known == 0) shape[static_cast<std::size_t>(unknown)] = numel / known;
  if (numel_of(shape) != numel || (unknown >= 0 && known == 0)) {
    throw ShapeError(std::string(op) + ": shape " + to_string(shape) + " is invalid for a tensor of shape " +
                     to_string(from) + " (" + std::to_string(numel) + " elements)");
  }
  return shape;
}

// The gradient of a view is dy reshaped/rearranged back to the input's shape.
Tensor record_reshaping_view(const char* name, Tensor y, const Tensor& x) {
  return record(name, y, {x}, [sizes = x.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{dy.reshape(sizes)};
  });
}

}  // namespace

Tensor Tensor::view(Shape shape) const {
  check_defined(*this, "view");
  shape = infer_shape(std::move(shape), numel(), sizes(), "view");
  if (!is_contiguous()) {
    throw ShapeError("view: tensor of shape " + to_string(sizes()) + " with strides " + to_string(strides()) +
                     " is not contiguous; use reshape()");
  }
  Shape strides = contiguous_strides(shape);
  return record_reshaping_view("view", alias(*this, std::move(shape), std::move(strides), impl()->offset), *this);
}

Tensor Tensor::reshape(Shape shape) const {
  check_defined(*this, "reshape");
  return is_contiguous() ? view(std::move(shape)) : clone().view(std::move(shape));
}

Tensor Tensor::flatten() const { return reshape({numel()}); }

Tensor Tensor::unsqueeze(std::int64_t dim) const {
  check_defined(*this, "unsqueeze");
  const std::int64_t d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape s = sizes(), st = strides();
  const std::int64_t stride = d < this->dim() ? st[static_cast<std::size_t>(d)] * s[static_cast<std::size_t>(d)] : 1;
  s.insert(s.begin() + d, 1);
  st.insert(st.begin() + d, stride);
  return record_reshaping_view("unsqueeze", alias(*this, s, st, impl()->offset), *this);
}

Tensor Tensor::squeeze(std::int64_t dim) const {
  check_defined(*this, "squeeze");
  const std::int64_t d = wrap_dim(dim, this->dim(), "squeeze");
  if (this->dim() == 0) return *this;
  if (size(d) != 1) return *this;  // as libtorch: a dimension of another size stays
  Shape s = sizes(), st = strides();
  s.erase(s.begin() + d);
  st.erase(st.begin() + d);
  return record_reshaping_view("squeeze", alias(*this, s, st, impl()->offset), *this);
}

Tensor Tensor::squeeze() const {
  check_defined(*this, "squeeze");
  Shape s, st;
  for (std::size_t i = 0; i < sizes().size(); ++i) {
    if (sizes()[i] != 1) {
      s.push_back(sizes()[i]);
      st.push_back(strides()[i]);
    }
  }
  return record_reshaping_view("squeeze", alias(*this, s, st, impl()->offset), *this);
}

// y = xᵀ over (dim0, dim1)    dx = dyᵀ over the same pair
Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  check_defined(*this, "transpose");
  const auto d0 = static_cast<std::size_t>(wrap_dim(dim0, dim(), "transpose"));
  const auto d1 = static_cast<std::size_t>(wrap_dim(dim1, dim(), "transpose"));
  if (dim() < 2) return *this;
  Shape s = sizes(), st = strides();
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  return record("transpose", alias(*this, s, st, impl()->offset), {*this}, [d0, d1](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{dy.transpose(static_cast<std::int64_t>(d0), static_cast<std::int64_t>(d1))};
  });
}

Tensor Tensor::t() const {
  check_defined(*this, "t");
  if (dim() > 2) throw ShapeError("t: expects a tensor with at most 2 dimensions, got shape " + to_string(sizes()));
  if (dim() < 2) return *this;  // as torch: a 0-D or 1-D tensor is its own transpose
  return transpose(0, 1);
}

// y = x[start:end] along dim     dx = dy placed into zeros at [start:end]
Tensor Tensor::slice(std::int64_t dim_in, std::int64_t start, std::int64_t end, std::int64_t step) const {
  check_defined(*this, "slice");
  const std::int64_t d = wrap_dim(dim_in, dim(), "slice");
  if (step < 1) throw ValueError("slice: step must be positive, got " + std::to_string(step));
  const std::int64_t n = size(d);
  // As libtorch (and Python's x[start:end]): negative bounds count from the end, then both are
  // clamped into [0, n], and an end before the start gives an empty slice.
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<std::int64_t>(start, 0, n);
  end = std::clamp<std::int64_t>(end, start, n);
  Shape s = sizes(), st = strides();
  const auto du = static_cast<std::size_t>(d);
  s[du] = (end - start + step - 1) / step;
  st[du] *= step;
  const std::int64_t offset = impl()->offset + start * strides()[du];
  return record("slice", alias(*this, s, st, offset), {*this}, [sizes = sizes(), d, start, end, step](const Tensor& dy, const std::vector<Tensor>&) {
    const auto zeros_along = [&](std::int64_t n) {
      Shape z = sizes;
      z[static_cast<std::size_t>(d)] = n;
      return zeros(z, TensorOptions().dtype(dy.dtype()).device(dy.device()));
    };
    if (is_grad_enabled() && step == 1) {  // a pass with create_graph: dy between zeros, recorded
      return std::vector<Tensor>{cat({zeros_along(start), dy, zeros_along(sizes[static_cast<std::size_t>(d)] - end)}, d)};
    }
    if (is_grad_enabled()) {  // with a step: dy scattered to start, start + step, ..., recorded
      Shape along(sizes.size(), 1);
      along[static_cast<std::size_t>(d)] = dy.size(d);
      const Tensor at = arange(start, end, step).reshape(along).expand(dy.sizes()).contiguous();
      return std::vector<Tensor>{ann::scatter_add(zeros_along(sizes[static_cast<std::size_t>(d)]), d, at, dy)};
    }
    Tensor dx = zeros(sizes, TensorOptions().dtype(dy.dtype()).device(dy.device()));
    dx.slice(d, start, end, step).copy_(dy);
    return std::vector<Tensor>{dx};
  });
}

Tensor Tensor::operator[](std::int64_t i) const {
  check_defined(*this, "operator[]");
  if (dim() == 0) throw ValueError("operator[]: cannot index a 0-d tensor");
  const std::int64_t n = size(0);
  if (i < -n || i >= n) {
    throw ValueError("operator[]: index " + std::to_string(i) + " out of range for dimension 0 of size " +
                     std::to_string(n));
  }
  if (i < 0) i += n;
  return slice(0, i, i + 1).squeeze(0);
}

Tensor Tensor::narrow(std::int64_t dim_in, std::int64_t start, std::int64_t length) const {
  check_defined(*this, "narrow");
  const std::int64_t d = wrap_dim(dim_in, dim(), "narrow");
  const std::int64_t n = size(d);
  if (start < 0) start += n;
  if (start < 0 || length < 0 || start + length > n) {
    throw ValueError("narrow: start " + std::to_string(start) + " and length " + std::to_string(length) +
                     " go outside dimension " + std::to_string(d) + " of size " + std::to_string(n));
  }
  return slice(d, start, start + length);
}

Tensor Tensor::select(std::int64_t dim_in, std::int64_t index) const {
  check_defined(*this, "select");
  const std::int64_t d = wrap_dim(dim_in, dim(), "select");
  const std::int64_t n = size(d);
  if (index < -n || index >= n) {
    throw ValueError("select: index " + std::to_string(index) + " out of range for dimension " + std::to_string(d) +
                     " of size " + std::to_string(n));
  }
  if (index < 0) index += n;
  return slice(d, index, index + 1).squeeze(d);
}

// y = x with dimensions reordered      dx = dy with the inverse order
Tensor Tensor::permute(const Shape& dims) const {
  check_defined(*this, "permute");
  if (static_cast<std::int64_t>(dims.size()) != dim()) {
    throw ShapeError("permute: " + to_string(dims) + " names " + std::to_string(dims.size()) +
                     " dimensions for a tensor of shape " + to_string(sizes()));
  }
  Shape s(dims.size(), 0), st(dims.size(), 0), inverse(dims.size(), 0);
  std::vector<bool> used(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<std::size_t>(wrap_dim(dims[i], dim(), "permute"));
    if (used[d]) throw ShapeError("permute: dimension " + std::to_string(d) + " repeats in " + to_string(dims));
    used[d] = true;
    s[i] = sizes()[d];
    st[i] = strides()[d];
    inverse[d] = static_cast<std::int64_t>(i);
  }
  return record("permute", alias(*this, s, st, impl()->offset), {*this},
                [inverse](const Tensor& dy, const std::vector<Tensor>&) { return std::vector<Tensor>{dy.permute(inverse)}; });
}

// y = x broadcast to sizes (stride 0 where repeated)      dx = dy summed over the repeats
Tensor Tensor::expand(const Shape& target) const {
  check_defined(*this, "expand");
  const auto rank = static_cast<std::int64_t>(target.size());
  if (rank < dim()) {
    throw ShapeError("expand: the shape " + to_string(target) + " has fewer dimensions than " + to_string(sizes()));
  }
  Shape s(target.size(), 0), st(target.size(), 0);
  for (std::int64_t i = rank - 1; i >= 0; --i) {
    const std::int64_t own = i - (rank - dim());  // this tensor's dimension, or < 0 for a new one
    const auto at = static_cast<std::size_t>(i);
    const std::int64_t have = own >= 0 ? size(own) : 1;
    std::int64_t want = target[at];
    if (want == -1) {
      if (own < 0) throw ShapeError("expand: -1 is not allowed for a new leading dimension in " + to_string(target));
      want = have;
    }
    if (have != want && have != 1) {
      throw ShapeError("expand: the size " + std::to_string(have) + " of shape " + to_string(sizes()) +
                       " cannot become " + std::to_string(want) + " (only sizes of 1 expand), asked for " +
                       to_string(target));
    }
    s[at] = want;
    st[at] = own >= 0 && have == want ? strides()[static_cast<std::size_t>(own)] : 0;
  }
  return record("expand", alias(*this, s, st, impl()->offset), {*this},
                [sizes = sizes()](const Tensor& dy, const std::vector<Tensor>&) { return std::vector<Tensor>{ops::sum_to(dy, sizes)}; });
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  const std::int64_t start = wrap_dim(start_dim, dim(), "flatten"), end = wrap_dim(end_dim, dim(), "flatten");
  if (start > end) {
    throw ValueError("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                     std::to_string(end_dim) + " for shape " + to_string(sizes()));
  }
  Shape s;
  std::int64_t merged = 1;
  for (std::int64_t i = 0; i < dim(); ++i) {
    if (i < start || i > end) {
      s.push_back(size(i));
    } else {
      merged *= size(i);
      if (i == end) s.push_back(merged);
    }
  }
  return reshape(s);
}

std::vector<Tensor> Tensor::split(std::int64_t split_size, std::int64_t dim_in) const {
  check_defined(*this, "split");
  const std::int64_t d = wrap_dim(dim_in, dim(), "split");
  if (split_size < 1 && size(d) > 0) throw ValueError("split: split_size must be at least 1, got " + std::to_string(split_size));
  std::vector<Tensor> pieces;
  for (std::int64_t at = 0; at < size(d); at += split_size) pieces.push_back(slice(d, at, std::min(at + split_size, size(d))));
  if (pieces.empty()) pieces.push_back(*this);  // torch: an empty dimension gives itself
  return pieces;
}

std::vector<Tensor> Tensor::split(const std::vector<std::int64_t>& split_sizes, std::int64_t dim_in) const {
  check_defined(*this, "split");
  const std::int64_t d = wrap_dim(dim_in, dim(), "split");
  std::int64_t total = 0;
  for (const std::int64_t n : split_sizes) {
    if (n < 0) throw ValueError("split: a negative size " + std::to_string(n) + " in the list");
    total += n;
  }
  if (total != size(d)) {
    throw ValueError("split: the sizes add up to " + std::to_string(total) + ", not the size " + std::to_string(size(d)) +
                     " of dimension " + std::to_string(d) + " of a tensor of shape " + to_string(sizes()));
  }
  std::vector<Tensor> pieces;
  std::int64_t at = 0;
  for (const std::int64_t n : split_sizes) {
    pieces.push_back(slice(d, at, at + n));
    at += n;
  }
  return pieces;
}

std::vector<Tensor> Tensor::chunk(std::int64_t chunks, std::int64_t dim_in) const {
  check_defined(*this, "chunk");
  if (chunks < 1) throw ValueError("chunk: chunks must be at least 1, got " + std::to_string(chunks));
  const std::int64_t d = wrap_dim(dim_in, dim(), "chunk");
  return split(std::max<std::int64_t>(1, (size(d) + chunks - 1) / chunks), d);
}

// repeat = a view with a new size-1 dimension before each, expanded to the repeats, then copied
// into shape: [a, b].repeat({r, s}) is [1, a, 1, b] → [r, a, s, b] → [r·a, s·b].
Tensor Tensor::repeat(const Shape& repeats) const {
  check_defined(*this, "repeat");
  if (static_cast<std::int64_t>(repeats.size()) < dim()) {
    throw ShapeError("repeat: " + std::to_string(repeats.size()) + " repeats for a tensor of shape " + to_string(sizes()) +
                     " (need at least one per dimension)");
  }
  for (std::int64_t r : repeats)
    if (r < 0) throw ValueError("repeat: negative repeat in " + to_string(repeats));
  const std::size_t lead = repeats.size() - static_cast<std::size_t>(dim());
  Shape padded(lead, 1), spread, expanded, out;
  for (std::int64_t s : sizes()) padded.push_back(s);
  for (std::size_t i = 0; i < repeats.size(); ++i) {
    spread.push_back(1);
    spread.push_back(padded[i]);
    expanded.push_back(repeats[i]);
    expanded.push_back(padded[i]);
    out.push_back(repeats[i] * padded[i]);
  }
  return reshape(spread).expand(expanded).reshape(out);
}

// y = copy of x      dx = dy
Tensor Tensor::clone() const {
  check_defined(*this, "clone");
  Tensor y = make_tensor(sizes(), dtype(), device());
  ops::backend_of(*this).copy_strided(y.impl()->raw_data(), y.strides(), impl()->raw_data(), strides(), sizes(),
                                      element_size(dtype()));
  return record("clone", std::move(y), {*this}, [](const Tensor& dy, const std::vector<Tensor>&) { return std::vector<Tensor>{dy}; });
}

// y = [x0; x1; ...] along dim     dx_i = the slice of dy that x_i filled
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw ValueError("cat: expects a non-empty list of tensors");
  const Tensor& first = tensors.front();
  check_defined(first, "cat");
  const std::int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape out_shape = first.sizes();
  out_shape[static_cast<std::size_t>(d)] = 0;
  for (const Tensor& t : tensors) {
    check_defined(t, "cat");
    bool ok = t.dim() == first.dim() && t.dtype() == first.dtype();
    for (std::int64_t i = 0; ok && i < t.dim(); ++i) ok = i == d || t.size(i) == first.size(i);
    if (!ok) {
      throw ShapeError("cat: tensors of shapes " + to_string(first.sizes()) + " and " + to_string(t.sizes()) +
                       " cannot be joined along dimension " + std::to_string(d));
    }
    out_shape[static_cast<std::size_t>(d)] += t.size(d);
  }
  Tensor y = make_tensor(out_shape, first.dtype(), first.device());
  std::vector<std::int64_t> starts, lengths;
  std::int64_t at = 0;
  for (const Tensor& t : tensors) {
    starts.push_back(at);
    lengths.push_back(t.size(d));
    y.slice(d, at, at + t.size(d)).copy_(t.detach());
    at += t.size(d);
  }
  return record("cat", std::move(y), tensors, [starts, lengths, d](const Tensor& dy, const std::vector<Tensor>&) {
    std::vector<Tensor> dxs;
    for (std::size_t i = 0; i < starts.size(); ++i) dxs.push_back(dy.slice(d, starts[i], starts[i] + lengths[i]).contiguous());
    return dxs;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw ValueError("stack: expects a non-empty list of tensors");
  std::vector<Tensor> unsqueezed;
  for (const Tensor& t : tensors) {
    check_defined(t, "stack");
    if (t.sizes() != tensors.front().sizes()) {
      throw ShapeError("stack: tensors of shapes " + to_string(tensors.front().sizes()) + " and " +
                       to_string(t.sizes()) + " differ; stack needs equal shapes");
    }
    unsqueezed.push_back(t.unsqueeze(wrap_dim(dim, t.dim() + 1, "stack")));
  }
  return cat(unsqueezed, dim);
}

}  // namespace ann
