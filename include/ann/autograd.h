#pragma once
// Grad mode: while a NoGradGuard lives (in this thread), operations are not recorded,
// as under `with torch.no_grad():` — use it for inference and for optimizer updates.
namespace ann {

/// Whether operations on tensors that require grad are currently recorded.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Disables recording for its lifetime, restoring the previous mode on exit.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ann
