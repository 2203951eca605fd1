// Rough peak-memory estimates of the lesson's runs, so that a size the machine cannot hold is
// refused with a clear message instead of ending in std::bad_alloc or the OOM killer, minutes
// into a run. Counts are float32 elements unless said otherwise; everything is in double
// because the sizes come from the command line and their products may overflow int64.
#include <unistd.h>

#include <algorithm>

#include "ann/lesson.h"

namespace ann::lesson {

namespace {

constexpr double kFloat = 4, kInt64 = 8;

// Parameters of make_mlp(in, hidden, layers, out).
double mlp_parameters(double in, double hidden, double layers, double out) {
  return in * hidden + hidden + (layers - 1) * (hidden * hidden + hidden) + hidden * out + out;
}

// One full-batch epoch of an MLP on `rows` rows: each hidden layer keeps its affine output, a
// possible bias-add temporary and its activation for backward (3 [rows, hidden] tensors);
// backward holds about as much again for one layer at a time; the output layer and the loss
// keep the logits, their (log-)softmax and its gradient.
double epoch_activations(double rows, double hidden, double layers, double out) {
  return kFloat * (3 * rows * hidden * layers + 3 * rows * hidden + 4 * rows * out);
}

// A parameter, its gradient, two Adam moments and the initial copy kept for the figures.
double training_state(double parameters) { return kFloat * 5 * parameters; }

}  // namespace

double memory_needed(const SpiralConfig& c) {
  const double rows = double(c.per_class) * double(c.classes);
  const double data = rows * (2 * kFloat + kInt64);
  const double accuracy = rows * (kInt64 + 1);  // argmax (int64) and the comparison (bool)
  const double parameters = mlp_parameters(2, double(c.hidden), double(c.layers), double(c.classes));
  const double history = double(c.epochs) * 2 * kFloat;  // loss and accuracy per epoch
  return data + accuracy + epoch_activations(rows, double(c.hidden), double(c.layers), double(c.classes)) +
         training_state(parameters) + history;
}

double memory_needed(const RegressionConfig& c) {
  const double points = double(c.points);
  const double hidden = double(c.hidden);
  const double parameters = mlp_parameters(1, hidden, 1, 1);
  // One net trains at a time, but every trained net is kept (with its gradients), and each
  // predicts on the 1001-point grid, without autograd, once trained.
  const double nets = double(c.networks + 1) * 2 * kFloat * parameters;
  const double epoch = std::max(epoch_activations(points, hidden, 1, 1), 3 * kFloat * 1001 * hidden);
  const double histories = double(c.networks + 1) * double(c.epochs) * kFloat;
  return points * 2 * kFloat + epoch + training_state(parameters) + nets + histories;
}

double physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return double(pages) * double(page_size);
}

}  // namespace ann::lesson
