// Regression — the lesson's second notebook, cell by cell, in C++.
// Noisy cubic data on [-1, 1]; a linear model cannot bend to it; ensembles of ReLU and Tanh
// networks fit it, and away from the data their predictions spread apart (the lesson's
// Fig. 12: the ensemble's spread as a measure of uncertainty).
// Exits non-zero when the nets miss the lesson's result.
#include <cstdio>
#include <vector>

#include "ann/ann.h"

using namespace ann;

// The training loop of the notebook: forward, loss, zero_grad, backward, step.
// Returns the loss measured before the last step, as the notebook prints it.
static float train(nn::Sequential& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                   bool print_progress) {
  nn::MSELoss criterion;
  float last_loss = 0.f;
  for (int t = 0; t < 1000; ++t) {
    // Feed forward to get the predictions
    Tensor y_pred = model(X);

    // Compute the loss
    Tensor loss = criterion(y_pred, y);
    last_loss = loss.item();
    if (print_progress && (t % 100 == 99 || t == 0)) std::printf("[EPOCH]: %d, [LOSS]: %.6f\n", t, last_loss);

    // zero the gradients before running the backward pass
    optimizer.zero_grad();

    // Backward pass to compute the gradient of loss w.r.t our learnable params
    loss.backward();

    // Update params
    optimizer.step();
  }
  return last_loss;
}

int main() {
  manual_seed(1);
  const std::int64_t N = 100;  // num_samples
  const std::int64_t D = 1;    // dimensions
  const std::int64_t C = 1;    // output dimensions
  const std::int64_t H = 100;  // num_hidden_units

  // The data: a cubic plus uniform noise
  Tensor X = linspace(-1.0, 1.0, N).unsqueeze(1);
  Tensor y = X.pow(3.f) + rand(X.sizes()) * 0.3f;
  std::printf("Shapes:\nX: %s\ny: %s\n", to_string(X.sizes()).c_str(), to_string(y.sizes()).c_str());

  const double learning_rate = 1e-3;
  const double lambda_l2 = 1e-5;

  // Linear model: two affine layers and nothing between them — a straight line
  nn::Sequential model{nn::Linear(D, H), nn::Linear(H, C)};
  std::printf("%s\n", model.str().c_str());
  optim::SGD sgd(model.parameters(), {.lr = learning_rate, .weight_decay = lambda_l2});
  const float linear_mse = train(model, sgd, X, y, true);
  std::printf("linear model final MSE %.6f\n", linear_mse);

  // Ten networks, each initialised just before it is trained: five with ReLU, five with Tanh
  const int n_networks = 10;
  std::vector<nn::Sequential> models;
  std::vector<float> final_mse;
  for (int mod = 0; mod < n_networks; ++mod) {
    const bool relu = mod < n_networks / 2;
    nn::Sequential net = relu ? nn::Sequential{nn::Linear(D, H), nn::ReLU(), nn::Linear(H, C)}
                              : nn::Sequential{nn::Linear(D, H), nn::Tanh(), nn::Linear(H, C)};
    optim::Adam adam(net.parameters(), {.lr = learning_rate, .weight_decay = lambda_l2});
    final_mse.push_back(train(net, adam, X, y, false));
    std::printf("network %d (%s): final MSE %.6f\n", mod, relu ? "ReLU" : "Tanh", final_mse.back());
    models.push_back(std::move(net));
  }

  // Predictions far beyond the data, on [-4, 4]
  NoGradGuard no_grad;
  Tensor X_new = linspace(-4.0, 4.0, 1001).unsqueeze(1);
  std::vector<Tensor> y_relu, y_tanh;
  for (int mod = 0; mod < n_networks; ++mod)
    (mod < n_networks / 2 ? y_relu : y_tanh).push_back(models[static_cast<std::size_t>(mod)](X_new).squeeze(1));

  // The ensemble's spread per family: variance across its five nets at each x, and its root
  Tensor std_relu = sqrt(var(stack(y_relu, 0), 0));
  Tensor std_tanh = sqrt(var(stack(y_tanh, 0), 0));
  const std::int64_t at[] = {0, 500, 1000};  // x = -4, 0, 4
  std::printf("ensemble std   x = -4    x = 0    x = 4\n");
  std::printf("  ReLU        %7.4f  %7.4f  %7.4f\n", std_relu.at({at[0]}), std_relu.at({at[1]}), std_relu.at({at[2]}));
  std::printf("  Tanh        %7.4f  %7.4f  %7.4f\n", std_tanh.at({at[0]}), std_tanh.at({at[1]}), std_tanh.at({at[2]}));

  // The lesson's result: every net fits the data, and each family is far less certain at
  // x = ±4 than at x = 0.
  bool as_in_lesson = true;
  for (float mse : final_mse) as_in_lesson = as_in_lesson && mse >= 0.005f && mse <= 0.011f;
  for (const Tensor* spread : {&std_relu, &std_tanh}) {
    const float centre = spread->at({at[1]});
    as_in_lesson = as_in_lesson && spread->at({at[0]}) > 10 * centre && spread->at({at[2]}) > 10 * centre;
  }
  std::printf("%s\n", as_in_lesson ? "as in the lesson (MSE 0.006-0.010; spread grows away from the data)"
                                   : "MISSED the lesson's result");
  return as_in_lesson ? 0 : 1;
}
