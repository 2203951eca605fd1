#pragma once
// ann — a small deep-learning library with PyTorch's shape, in C++20.
//
// The lesson's five-step training loop, with the real API:
//
//   #include <ann/ann.h>
//   using namespace ann;
//
//   manual_seed(12345);
//   auto [X, y] = data::spiral(1000, 3, 0.2);               // X [3000, 2], y [3000] int64
//   nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
//   nn::CrossEntropyLoss criterion;
//   optim::Adam optimizer(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-5});
//   for (int t = 0; t < 1000; ++t) {
//     Tensor y_pred = model(X);              // 1. forward
//     Tensor loss = criterion(y_pred, y);    // 2. loss
//     optimizer.zero_grad();                 // 3. zero the gradients
//     loss.backward();                       // 4. back-propagate: x.grad += dJ/dx
//     optimizer.step();                      // 5. a step of gradient descent
//   }
//
// How memory works: a Tensor is a shared handle; views share storage; an operation on
// tensors that require grad records a node, and the graph is freed by backward().
// Errors are exceptions derived from ann::Error, naming the operation and the shapes.
#include "ann/autograd.h"
#include "ann/autograd_function.h"
#include "ann/cpu.h"
#include "ann/csv.h"
#include "ann/data.h"
#include "ann/data/dataloader.h"
#include "ann/data/dataset.h"
#include "ann/data/standardize.h"
#include "ann/device.h"
#include "ann/dtype.h"
#include "ann/error.h"
#include "ann/generator.h"
#include "ann/indexing.h"
#include "ann/metrics.h"
#include "ann/nn.h"
#include "ann/ops.h"
#include "ann/train_step.h"
#include "ann/optim.h"
#include "ann/serialize.h"
#include "ann/shape.h"
#include "ann/tabular.h"
#include "ann/tensor.h"
#include "ann/threads.h"
