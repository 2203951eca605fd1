#pragma once
// A shape is the list of sizes of a tensor's dimensions, outermost first ([rows, cols]).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

namespace ann {

/// The sizes (or strides) of a tensor: a vector of at most kMaxDims integers held inline.
/// Every tensor carries two and most ops build a few; as std::vector they were half the
/// allocations of a small network's training step. Throws ShapeError past kMaxDims.
class Shape {
 public:
  static constexpr std::size_t kMaxDims = 8;
  using value_type = std::int64_t;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = value_type&;
  using const_reference = const value_type&;
  using pointer = value_type*;
  using const_pointer = const value_type*;
  using iterator = value_type*;
  using const_iterator = const value_type*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  Shape() = default;
  explicit Shape(size_type count, value_type value = 0) { resize(count, value); }
  Shape(std::initializer_list<value_type> values) : Shape(values.begin(), values.end()) {}
  template <std::input_iterator It>
  Shape(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<value_type>(*first));
  }
  Shape(const std::vector<value_type>& values) : Shape(values.begin(), values.end()) {}  // NOLINT: implicit on purpose

  size_type size() const { return size_; }
  /// The sizes as a std::vector (libtorch's IntArrayRef::vec()).
  std::vector<value_type> vec() const { return {begin(), end()}; }
  bool empty() const { return size_ == 0; }
  static constexpr size_type max_size() { return kMaxDims; }

  value_type* data() { return values_; }
  const value_type* data() const { return values_; }
  value_type& operator[](size_type i) { return values_[i]; }
  const value_type& operator[](size_type i) const { return values_[i]; }
  value_type& front() { return values_[0]; }
  const value_type& front() const { return values_[0]; }
  value_type& back() { return values_[size_ - 1]; }
  const value_type& back() const { return values_[size_ - 1]; }

  iterator begin() { return values_; }
  iterator end() { return values_ + size_; }
  const_iterator begin() const { return values_; }
  const_iterator end() const { return values_ + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  void push_back(value_type value) {
    check_room(size_ + 1);
    values_[size_++] = value;
  }
  void pop_back() { --size_; }
  void clear() { size_ = 0; }
  void resize(size_type count, value_type value = 0) {
    check_room(count);
    for (size_type i = size_; i < count; ++i) values_[i] = value;
    size_ = count;
  }
  iterator insert(const_iterator pos, value_type value) {
    check_room(size_ + 1);
    const auto at = static_cast<size_type>(pos - values_);
    std::copy_backward(values_ + at, values_ + size_, values_ + size_ + 1);
    values_[at] = value;
    ++size_;
    return values_ + at;
  }
  iterator erase(const_iterator pos) {
    const auto at = static_cast<size_type>(pos - values_);
    std::copy(values_ + at + 1, values_ + size_, values_ + at);
    --size_;
    return values_ + at;
  }

  friend bool operator==(const Shape& a, const Shape& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

 private:
  // ShapeError when `count` dimensions do not fit (thrown out of line, in shape.cpp).
  static void check_room(size_type count) {
    if (count > kMaxDims) throw_too_many_dims(count);
  }
  [[noreturn]] static void throw_too_many_dims(size_type count);

  value_type values_[kMaxDims] = {};
  size_type size_ = 0;
};

/// "[3000, 3]" — the form used in every error message.
std::string to_string(const Shape& shape);

/// Number of elements of a tensor of this shape (1 for a scalar []).
std::int64_t numel_of(const Shape& shape);

/// Row-major (C-contiguous) strides of a shape, in elements.
Shape contiguous_strides(const Shape& shape);

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Wraps a possibly negative dimension index into [0, rank); throws ValueError naming `op`.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, const char* op);

}  // namespace ann
