#pragma once
// Recycles the small fixed-size blocks that every tensor and recorded op costs: TensorImpl,
// Storage and autograd Node (with their shared-pointer counts, by std::allocate_shared). A small
// network's training step makes and frees about ten tensors and two nodes, and malloc/free of
// the tensors' 40- and 232-byte blocks was a tenth of the step. Each thread keeps a free list
// per block size; a block freed on another thread than the one that made it joins that
// thread's list (blocks are interchangeable). Under AddressSanitizer the pool is bypassed, so
// that a use after free is still caught.
#include <cstddef>
#include <cstdint>
#include <new>

namespace ann::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kPoolSmallObjects = false;
#else
inline constexpr bool kPoolSmallObjects = true;
#endif

template <std::size_t kSize>
class SmallObjectPool {
 public:
  static void* take() {
    FreeList& list = free_list;
    if (list.head) {
      void* p = list.head;
      list.head = *static_cast<void**>(p);
      --list.count;
      return p;
    }
    return ::operator new(kSize);
  }

  static void give(void* p) noexcept {
    FreeList& list = free_list;
    if (list.closed || list.count >= kMaxKept) return ::operator delete(p);
    if (list.count == 0) (void)&janitor;  // its destructor empties the list at thread exit
    *static_cast<void**>(p) = list.head;
    list.head = p;
    ++list.count;
  }

 private:
  static constexpr std::uint32_t kMaxKept = 1024;  // per thread and size: 240 KiB for a TensorImpl

  // Trivially destructible, so that it can still be read after the janitor has run: tensors
  // with static storage duration are freed after the main thread's thread_locals.
  struct FreeList {
    void* head = nullptr;
    std::uint32_t count = 0;
    bool closed = false;
  };
  struct Janitor {
    ~Janitor() {
      FreeList& list = free_list;
      while (list.head) {
        void* p = list.head;
        list.head = *static_cast<void**>(p);
        ::operator delete(p);
      }
      list.count = 0;
      list.closed = true;
    }
  };
  static inline thread_local FreeList free_list;
  static inline thread_local Janitor janitor;
};

/// An allocator for std::allocate_shared whose single-object allocations come from the pool.
template <class T>
struct PoolAllocator {
  using value_type = T;
  static_assert(sizeof(T) >= sizeof(void*));
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) {
    if (kPoolSmallObjects && n == 1) return static_cast<T*>(SmallObjectPool<sizeof(T)>::take());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (kPoolSmallObjects && n == 1) return SmallObjectPool<sizeof(T)>::give(p);
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const {
    return true;
  }
};

}  // namespace ann::detail
