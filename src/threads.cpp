#include "ann/threads.h"

#include <atomic>
#include <string>

#include "ann/error.h"
#include "backend/backend.h"

namespace ann {

namespace {
std::atomic<int> thread_count{1};
}

void set_num_threads(int threads) {
  if (threads < 1) throw ValueError("set_num_threads: needs at least 1 thread, got " + std::to_string(threads));
  thread_count = threads;
  backend::set_num_threads(threads);
}

int get_num_threads() { return thread_count; }

}  // namespace ann
