// Training on your own data: a classifier for the iris table (examples/data/iris.csv, made by
// tools/make_datasets.py from scikit-learn's copy), with mini-batches from a DataLoader and the
// lesson's five-step loop. Usage: iris_classifier [FILE.csv]
#include <cstdio>
#include <exception>

#include "ann/ann.h"

using namespace ann;

int main(int argc, char** argv) try {
  manual_seed(0);
  const char* path = argc > 1 ? argv[1] : ANN_EXAMPLES_DATA "/iris.csv";
  const csv::LabelledTable table = csv::read_labelled_file(path, {.target = "species"});
  std::printf("%s: %lld rows, %zu features, classes:", path, static_cast<long long>(table.X.size(0)),
              table.feature_names.size());
  for (const auto& name : table.class_names) std::printf(" %s", name.c_str());
  std::printf("\n");

  // 80 % to train on, 20 % to judge by; features standardised with the training rows' statistics
  auto parts = data::random_split(data::TensorDataset(table.X, table.y), {0.8, 0.2});
  const Tensor mean = parts[0].tensors()[0].mean(0), spread = parts[0].tensors()[0].std(0, false);
  const auto standardise = [&](const Tensor& X) { return (X - mean) / spread; };
  data::DataLoader loader(data::TensorDataset(standardise(parts[0].tensors()[0]), parts[0].tensors()[1]),
                          {.batch_size = 16, .shuffle = true});
  const Tensor X_val = standardise(parts[1].tensors()[0]), y_val = parts[1].tensors()[1];

  const auto features = static_cast<std::int64_t>(table.feature_names.size());
  const auto classes = static_cast<std::int64_t>(table.class_names.size());
  nn::Sequential model{nn::Linear(features, 16), nn::ReLU(), nn::Dropout(0.1), nn::Linear(16, classes)};
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 0.01});
  optim::StepLR scheduler(optimizer, {.step_size = 30, .gamma = 0.5});

  float accuracy = 0.f;
  for (int epoch = 0; epoch < 60; ++epoch) {
    model.train();
    for (const auto& batch : loader) {
      const Tensor& X = batch[0];
      const Tensor& y = batch[1];
      Tensor y_pred = model(X);              // 1. forward
      Tensor loss = criterion(y_pred, y);    // 2. loss
      optimizer.zero_grad();                 // 3. zero the gradients
      loss.backward();                       // 4. backward
      optimizer.step();                      // 5. update
    }
    scheduler.step();
    model.eval();
    NoGradGuard no_grad;
    const Tensor predicted = argmax(model(X_val), 1);
    accuracy = sum(predicted == y_val).item() / static_cast<float>(y_val.size(0));
    if (epoch % 10 == 9) std::printf("epoch %2d  validation accuracy %.3f  lr %.4f\n", epoch + 1, accuracy, optimizer.lr());
  }
  return accuracy >= 0.9f ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "iris_classifier: %s\n", e.what());
  return 2;
}
