// Autograd: accumulation, zero_grad, detach, grad mode, retain_graph, explicit gradients,
// shared subexpressions, very deep graphs, and freeing the graph.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ann/ann.h"

namespace {

using namespace ann;

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

Tensor leaf(std::initializer_list<double> v) { return tensor(v, TensorOptions().requires_grad(true)); }

void expect_values_near(const Tensor& t, const std::vector<float>& expected, float tol = 1e-6f) {
  ASSERT_TRUE(t.defined());
  const std::vector<float> got = values(t);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

// Runs `body` on a thread with a small stack, so that a recursion as deep as a long graph
// crashes instead of passing by luck on a large main-thread stack.
void run_on_small_stack(std::size_t stack_bytes, const std::function<void()>& body) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, stack_bytes), 0);
  struct Call {
    const std::function<void()>* body;
    std::string error;
  } call{&body, {}};
  pthread_t thread;
  auto trampoline = [](void* p) -> void* {
    auto* c = static_cast<Call*>(p);
    try {
      (*c->body)();
    } catch (const std::exception& e) {
      c->error = e.what();
    }
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, &call), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(call.error, "");
}

// ---- accumulation ------------------------------------------------------------------------------

TEST(Autograd, GradientsAccumulateOverBackwardCalls) {
  Tensor x = leaf({1.f, -2.f, 3.f});
  EXPECT_FALSE(x.grad().defined());  // None before any backward
  (x * x).sum().backward();
  expect_values_near(x.grad(), {2.f, -4.f, 6.f});
  (x * x).sum().backward();  // a second graph: x.grad += 2x
  expect_values_near(x.grad(), {4.f, -8.f, 12.f});
  (3.f * x).sum().backward();
  expect_values_near(x.grad(), {7.f, -5.f, 15.f});
}

TEST(Autograd, ZeroGradZeroesInPlace) {
  Tensor x = leaf({1.f, 2.f});
  (x * x).sum().backward();
  const Tensor before = x.grad();
  x.zero_grad();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().impl(), before.impl());  // the same tensor, zeroed: kept allocated
  expect_values_near(before, {0.f, 0.f});
  (x * x).sum().backward();  // accumulates from zero
  expect_values_near(x.grad(), {2.f, 4.f});

  Tensor fresh = leaf({1.f});
  fresh.zero_grad();  // no gradient yet: nothing to zero, stays undefined
  EXPECT_FALSE(fresh.grad().defined());
}

TEST(Autograd, AccumulatedGradientDoesNotAliasTheSeed) {
  Tensor x = leaf({1.f, 2.f, 3.f});
  Tensor seed = tensor({1.f, 1.f, 1.f});
  x.view({3}).backward(seed);  // the view's backward passes the seed straight through
  seed.fill_(100.f);
  expect_values_near(x.grad(), {1.f, 1.f, 1.f});
  x.view({3}).backward(tensor({1.f, 2.f, 3.f}));
  expect_values_near(x.grad(), {2.f, 3.f, 4.f});
  expect_values_near(seed, {100.f, 100.f, 100.f});
}

// add's backward hands the same gradient tensor to both inputs: each leaf must get its own
// copy, while a gradient nobody else holds is kept as it is (no copy per step).
TEST(Autograd, LeavesSharingOneGradientGetTheirOwnCopies) {
  Tensor a = leaf({1.f, 2.f});
  Tensor b = leaf({3.f, 4.f});
  (a + b).backward(tensor({5.f, 6.f}));
  ASSERT_TRUE(a.grad().defined() && b.grad().defined());
  EXPECT_NE(a.grad().data<float>(), b.grad().data<float>());
  a.grad().fill_(0.f);
  expect_values_near(b.grad(), {5.f, 6.f});
  Tensor c = leaf({2.f, 3.f});
  (c * c).sum().backward();
  expect_values_near(c.grad(), {4.f, 6.f});
}

TEST(Autograd, BackwardOnALeaf) {
  Tensor x = leaf({1.f, 2.f});
  x.backward(tensor({0.5f, -1.f}));
  expect_values_near(x.grad(), {0.5f, -1.f});
}

// ---- what is recorded ----------------------------------------------------------------------------

TEST(Autograd, LeavesAndRecordedOps) {
  Tensor x = leaf({1.f, 2.f});
  const Tensor c = tensor({3.f, 4.f});
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(x.grad_fn_name(), "");
  const Tensor y = x * c;
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(y.requires_grad());
  EXPECT_EQ(y.grad_fn_name(), "mul");
  EXPECT_EQ(matmul(x.view({1, 2}), c.view({2, 1})).grad_fn_name(), "matmul");
  const Tensor plain = c * c;  // no input requires grad: nothing recorded
  EXPECT_FALSE(plain.requires_grad());
  EXPECT_TRUE(plain.is_leaf());
  y.sum().backward();
  expect_values_near(x.grad(), {3.f, 4.f});
  EXPECT_FALSE(c.grad().defined());  // no gradient for a tensor that does not require it
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = leaf({1.f, -2.f, 3.f});
  const Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.data<float>(), x.data<float>());  // shares storage
  EXPECT_FALSE((d * 3.f).requires_grad());
  (x * x.detach()).sum().backward();  // d/dx (x · c) = c, not 2x
  expect_values_near(x.grad(), {1.f, -2.f, 3.f});
  EXPECT_THROW((d * 2.f).sum().backward(), AutogradError);
  const Tensor h = (x * 2.f).detach();
  EXPECT_TRUE(h.is_leaf());
  EXPECT_EQ(h.grad_fn_name(), "");
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = leaf({1.f, 2.f});
  EXPECT_TRUE(is_grad_enabled());
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(is_grad_enabled());
    const Tensor y = (x * x).exp().sum();
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_EQ(y.grad_fn_name(), "");
    EXPECT_THROW(y.backward(), AutogradError);
    {
      NoGradGuard nested;
      EXPECT_FALSE(is_grad_enabled());
    }
    EXPECT_FALSE(is_grad_enabled());  // the nested guard restores "off", not "on"
    EXPECT_TRUE(x.requires_grad());   // leaves keep their flag
  }
  EXPECT_TRUE(is_grad_enabled());
  const Tensor z = x * x;
  EXPECT_TRUE(z.requires_grad());
  EXPECT_EQ(z.grad_fn_name(), "mul");

  try {
    NoGradGuard no_grad;
    throw std::runtime_error("unwind");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(is_grad_enabled());  // restored on unwinding too

  set_grad_enabled(false);
  EXPECT_FALSE((x * 2.f).requires_grad());
  set_grad_enabled(true);
  EXPECT_TRUE((x * 2.f).requires_grad());
}

TEST(Autograd, RequiresGradFlag) {
  Tensor x = tensor({1.f, 2.f});
  EXPECT_FALSE(x.requires_grad());
  x.requires_grad_();
  EXPECT_TRUE(x.requires_grad());
  x.requires_grad_(false);
  EXPECT_FALSE(x.requires_grad());
  Tensor y = leaf({1.f}) * 2.f;
  EXPECT_THROW(y.requires_grad_(false), AutogradError);  // a non-leaf: use detach()
}

// ---- retain_graph ----------------------------------------------------------------------------------

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = leaf({1.f, 2.f});
  const Tensor y = (x * x).exp().sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  const std::vector<float> once = values(x.grad());
  y.backward(Tensor(), true);  // works: the graph was kept
  expect_values_near(x.grad(), {2 * once[0], 2 * once[1]}, 1e-4f);
  y.backward();  // works, and frees the graph
  expect_values_near(x.grad(), {3 * once[0], 3 * once[1]}, 1e-4f);
  EXPECT_THROW(y.backward(), AutogradError);
  try {
    y.backward();
    FAIL() << "expected AutogradError";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("already freed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
  expect_values_near(x.grad(), {3 * once[0], 3 * once[1]}, 1e-4f);  // the failed call changed nothing
}

TEST(Autograd, WithoutRetainGraphTheSecondBackwardFails) {
  Tensor x = leaf({1.f, 2.f});
  const Tensor y = (x * 3.f).sum();
  y.backward();
  EXPECT_THROW(y.backward(), AutogradError);
  expect_values_near(x.grad(), {3.f, 3.f});
}

// The engine keeps its working lists per thread from pass to pass: a pass that fails halfway
// (here at a node an earlier pass freed) must leave them empty for the next one.
TEST(Autograd, APassThatFailsHalfwayLeavesTheNextOneIntact) {
  Tensor x = leaf({0.5f, -1.f});
  {
    const Tensor h = x.tanh();
    const Tensor a = (h * 2.f).sum();
    (h * h).sum().backward();  // frees tanh's node, which a's graph shares
    EXPECT_THROW(a.backward(), AutogradError);
    EXPECT_THROW(a.backward(), AutogradError);  // the failed graph stays failed
  }
  // The failed graph's nodes are gone, and the next graph's nodes may take their addresses:
  // marks or gradients left over from the failed pass would land on them.
  Tensor z = leaf({2.f, 3.f});
  (z * z * 0.5f).sum().backward();
  expect_values_near(z.grad(), {2.f, 3.f});
  // x holds what the one whole pass gave it, d/dx Σ tanh² = 2 tanh (1 − tanh²), nothing more.
  const float t0 = std::tanh(0.5f), t1 = std::tanh(-1.f);
  expect_values_near(x.grad(), {2 * t0 * (1 - t0 * t0), 2 * t1 * (1 - t1 * t1)}, 1e-5f);
}

TEST(Autograd, SharedSubgraphWithRetainGraph) {
  Tensor x = leaf({0.5f, -1.f});
  const Tensor h = x.tanh();
  const Tensor a = (h * 2.f).sum();
  const Tensor b = (h * h).sum();
  a.backward(Tensor(), true);
  b.backward();
  // d/dx [2 tanh x + tanh² x] = (2 + 2 tanh x)(1 − tanh² x)
  std::vector<float> expected;
  for (float v : {0.5f, -1.f}) {
    const float t = std::tanh(v);
    expected.push_back((2.f + 2.f * t) * (1.f - t * t));
  }
  expect_values_near(x.grad(), expected, 1e-5f);
}

// ---- explicit gradients and graph shapes -----------------------------------------------------------

TEST(Autograd, ExplicitGradientOnANonScalar) {
  Tensor x = leaf({1.f, 2.f, 3.f});
  const Tensor y = x * x;
  y.backward(tensor({1.f, 0.5f, -2.f}));  // vector-Jacobian product: g · 2x
  expect_values_near(x.grad(), {2.f, 2.f, -12.f});
  Tensor m = tensor({{1.f, 2.f}, {3.f, 4.f}}, TensorOptions().requires_grad(true));
  matmul(m, m).backward(ones({2, 2}));  // d/dm Σ (m m) = 1 mᵀ + mᵀ 1: row sums + column sums
  expect_values_near(m.grad(), {3.f + 4.f, 7.f + 4.f, 3.f + 6.f, 7.f + 6.f});
  // wrong shape of gradient
  Tensor z = leaf({1.f, 2.f});
  EXPECT_THROW((z * 2.f).backward(ones({3})), ShapeError);
  EXPECT_THROW((z * 2.f).backward(), AutogradError);
}

TEST(Autograd, TensorUsedTwice) {
  Tensor x = leaf({1.f, -2.f, 0.5f});
  (x * x).sum().backward();
  expect_values_near(x.grad(), {2.f, -4.f, 1.f});
  Tensor y = leaf({1.f, -2.f});
  (y + y).sum().backward();  // both operands' gradients land on the same leaf
  expect_values_near(y.grad(), {2.f, 2.f});
  Tensor z = leaf({3.f});
  (z * z * z).sum().backward();
  expect_values_near(z.grad(), {27.f});
}

TEST(Autograd, DiamondGraph) {
  // x → a = 2x → b = 3a, c = tanh(a) → y = Σ (b + c·a)
  // dy/dx = 2 · (3 + tanh'(a)·a + tanh(a))
  Tensor x = leaf({0.25f, -0.4f, 0.1f});
  const Tensor a = x * 2.f;
  const Tensor b = a * 3.f;
  const Tensor c = a.tanh();
  (b + c * a).sum().backward();
  std::vector<float> expected;
  for (float v : {0.25f, -0.4f, 0.1f}) {
    const double av = 2.0 * v, t = std::tanh(av);
    expected.push_back(static_cast<float>(2.0 * (3.0 + (1.0 - t * t) * av + t)));
  }
  expect_values_near(x.grad(), expected, 1e-5f);
}

TEST(Autograd, BackwardFromAnIntermediate) {
  Tensor x = leaf({1.f, 2.f});
  Tensor w = leaf({3.f, 4.f});
  const Tensor h = x * 5.f;
  const Tensor y = (h * w).sum();
  h.sum().backward();  // only the part below h
  expect_values_near(x.grad(), {5.f, 5.f});
  EXPECT_FALSE(w.grad().defined());
  (void)y;
}

// ---- deep graphs -----------------------------------------------------------------------------------

constexpr int kDepth = 10000;
constexpr std::size_t kSmallStack = 128 << 10;  // 128 KiB: 13 bytes per level, were it to recurse

TEST(Autograd, DeepMultiplyChainBackwardAndDestruction) {
  run_on_small_stack(kSmallStack, [] {
    Tensor x = leaf({1.f, 2.f});
    Tensor y = x;
    for (int i = 0; i < kDepth; ++i) y = y * 1.0001f;
    y.sum().backward();
    // dy/dx = 1.0001^10000 ≈ e
    const double expected = std::pow(static_cast<double>(1.0001f), kDepth);
    const std::vector<float> g = values(x.grad());
    EXPECT_NEAR(g[0], expected, 1e-3 * expected);
    EXPECT_NEAR(g[1], expected, 1e-3 * expected);
    EXPECT_NEAR(y.at({1}), 2.0 * expected, 2e-3 * expected);
  });
}

TEST(Autograd, DeepAddChainBackward) {
  run_on_small_stack(kSmallStack, [] {
    Tensor x = leaf({1.f, -1.f});
    Tensor y = x;
    for (int i = 0; i < kDepth; ++i) y = y + x;  // x used 10 001 times
    y.sum().backward();
    EXPECT_EQ(values(x.grad()), (std::vector<float>{10001.f, 10001.f}));
  });
}

TEST(Autograd, DeepGraphDestroyedWithoutBackward) {
  run_on_small_stack(kSmallStack, [] {
    Tensor x = leaf({1.f});
    std::weak_ptr<TensorImpl> first;
    {
      Tensor y = x.tanh();
      first = y.impl();
      for (int i = 0; i < kDepth; ++i) y = (i % 2 == 0) ? y * 0.5f : y.exp();
      EXPECT_FALSE(first.expired());  // the chain keeps its start alive
    }  // the whole chain is destroyed here, iteratively
    EXPECT_TRUE(first.expired());
  });
}

TEST(Autograd, DeepGraphWithRetainGraphThenDestroyed) {
  run_on_small_stack(kSmallStack, [] {
    Tensor x = leaf({0.5f});
    Tensor y = x;
    for (int i = 0; i < kDepth; ++i) y = y + 0.f;
    y.backward(Tensor(), true);
    y.backward(Tensor(), true);
    EXPECT_EQ(values(x.grad()), std::vector<float>{2.f});
  });
}

// ---- the graph is freed --------------------------------------------------------------------------

TEST(Autograd, BackwardFreesTheGraph) {
  Tensor x = leaf({1.f, 2.f, 3.f});
  std::weak_ptr<TensorImpl> hidden;
  Tensor y;
  {
    Tensor h = (x * 2.f).exp();
    hidden = h.impl();
    y = (h * h).sum();
  }
  EXPECT_FALSE(hidden.expired());  // held by y's graph
  y.backward();
  EXPECT_TRUE(hidden.expired());  // freed by backward, although y is alive
  EXPECT_TRUE(x.grad().defined());
}

TEST(Autograd, RetainedGraphIsFreedWithItsOutput) {
  Tensor x = leaf({1.f, 2.f, 3.f});
  std::weak_ptr<TensorImpl> hidden, out;
  {
    Tensor y;
    {
      Tensor h = x.tanh();
      hidden = h.impl();
      y = nn::functional::mse_loss(softmax(h.view({1, 3}), 1), zeros({1, 3}));
      out = y.impl();
    }
    y.backward(Tensor(), true);
    EXPECT_FALSE(hidden.expired());  // retained
  }
  EXPECT_TRUE(hidden.expired());
  EXPECT_TRUE(out.expired());
}

// No op may keep its own output alive (a closure capturing the output would be a cycle).
TEST(Autograd, OutputsDoNotKeepThemselvesAlive) {
  Tensor x = tensor({{0.5f, -1.f, 2.f}, {1.5f, 0.25f, -0.75f}}, TensorOptions().requires_grad(true));
  Tensor w = tensor({{0.1f, 0.2f}, {0.3f, 0.4f}, {0.5f, 0.6f}}, TensorOptions().requires_grad(true));
  const Tensor labels = from_vector(std::vector<std::int64_t>{1, 0}, {2});
  const std::vector<std::pair<const char*, std::function<Tensor()>>> ops = {
      {"add", [&] { return x + x; }},
      {"sub", [&] { return x - 1.f; }},
      {"mul", [&] { return x * x; }},
      {"div", [&] { return x / 2.f; }},
      {"exp", [&] { return x.exp(); }},
      {"sqrt", [&] { return x.abs().sqrt(); }},
      {"tanh", [&] { return x.tanh(); }},
      {"sigmoid", [&] { return x.sigmoid(); }},
      {"relu", [&] { return x.relu(); }},
      {"pow", [&] { return x.pow(2.f); }},
      {"clamp", [&] { return x.clamp(-0.5f, 0.5f); }},
      {"matmul", [&] { return matmul(x, w); }},
      {"linear", [&] { return linear(x, w.t(), Tensor()); }},
      {"softmax", [&] { return x.softmax(1); }},
      {"log_softmax", [&] { return x.log_softmax(1); }},
      {"sum", [&] { return x.sum(0); }},
      {"max", [&] { return std::get<0>(x.max(1)); }},
      {"var", [&] { return x.var(1); }},
      {"view", [&] { return x.view({3, 2}); }},
      {"transpose", [&] { return x.t(); }},
      {"slice", [&] { return x.slice(1, 0, 2); }},
      {"clone", [&] { return x.clone(); }},
      {"cat", [&] { return cat({x, x}, 0); }},
      {"gather", [&] { return gather(x, 1, labels.unsqueeze(1)); }},
      {"index_select", [&] { return index_select(x, 1, labels); }},
      {"cross_entropy", [&] { return nn::functional::cross_entropy(x, labels); }},
      {"bce_with_logits", [&] { return nn::functional::binary_cross_entropy_with_logits(x, zeros({2, 3})); }},
  };
  for (const auto& [name, op] : ops) {
    std::weak_ptr<TensorImpl> out;
    {
      const Tensor y = op();
      ASSERT_TRUE(y.requires_grad()) << name;
      out = y.impl();
    }
    EXPECT_TRUE(out.expired()) << name << " keeps its output alive";
  }
}

}  // namespace

// ---- in-place writes and the version counter: never a wrong gradient in silence --------------

namespace {

std::string autograd_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const AutogradError& e) {
    return e.what();
  }
  return "(no AutogradError)";
}

TEST(InPlace, ALeafThatRequiresGradIsNotModifiedWhileRecording) {
  Tensor a = full({3}, 3.f).requires_grad_();
  const std::string m = autograd_message([&] { a.fill_(2.f); });
  EXPECT_NE(m.find("fill_: a leaf tensor that requires grad (shape [3]) cannot be modified in place"), std::string::npos) << m;
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{3, 3, 3})) << "refused before writing";
  for (const auto& f : std::vector<std::function<void()>>{[&] { a.zero_(); }, [&] { a.copy_(zeros({3})); },
                                                         [&] { a.uniform_(); }, [&] { a.normal_(); },
                                                         [&] { a.set<float>({0}, 1.f); }}) {
    EXPECT_THROW(f(), AutogradError);
  }
  NoGradGuard no_grad;  // as an optimizer does
  EXPECT_NO_THROW(a.fill_(2.f));
}

// ---- recorded in-place ops: the same numbers and gradients as the out-of-place op ------------

// Runs h = x · 1.5 (not a leaf), then `op` on h (in place, or out of place returning the new h),
// then loss = Σ h · R; returns the values of h and the gradients of x and of w (the operand).
struct InPlaceRun {
  std::vector<float> h, dx, dw;
};
template <class Op>
InPlaceRun run_in_place(Op op) {
  manual_seed(3);
  Tensor x = randn({3, 4}).requires_grad_();
  Tensor w = (randn({3, 4}) + 2.f).requires_grad_();  // away from 0: div_ divides by it
  Tensor R = randn({3, 4});
  Tensor h = x * 1.5f;
  op(h, w);
  (h * R).sum().backward();
  return {h.to_vector<float>(), x.grad().to_vector<float>(), w.grad().defined() ? w.grad().to_vector<float>() : std::vector<float>{}};
}

TEST(InPlace, RecordedOpsGiveTheOutOfPlaceNumbersAndGradients) {
  using F = std::function<void(Tensor&, const Tensor&)>;
  const Tensor mask = tensor({1., 0., 0., 1.}) > 0.5;
  const std::vector<std::tuple<const char*, F, F>> cases = {
      {"add_", [](Tensor& h, const Tensor& w) { h.add_(w, 0.5); }, [](Tensor& h, const Tensor& w) { h = h + w * 0.5; }},
      {"sub_", [](Tensor& h, const Tensor& w) { h.sub_(w); }, [](Tensor& h, const Tensor& w) { h = h - w; }},
      {"mul_", [](Tensor& h, const Tensor& w) { h.mul_(w); }, [](Tensor& h, const Tensor& w) { h = h * w; }},
      {"div_", [](Tensor& h, const Tensor& w) { h /= w; }, [](Tensor& h, const Tensor& w) { h = h / w; }},
      {"+= 2", [](Tensor& h, const Tensor&) { h += 2.0; }, [](Tensor& h, const Tensor&) { h = h + 2.0; }},
      {"mul_ 3", [](Tensor& h, const Tensor&) { h.mul_(3.0); }, [](Tensor& h, const Tensor&) { h = h * 3.0; }},
      {"clamp_", [](Tensor& h, const Tensor&) { h.clamp_(-0.5, 0.7); }, [](Tensor& h, const Tensor&) { h = clamp(h, -0.5, 0.7); }},
      {"masked_fill_", [&](Tensor& h, const Tensor&) { h.masked_fill_(mask, 4.0); }, [&](Tensor& h, const Tensor&) { h = masked_fill(h, mask, 4.0); }},
      {"copy_", [](Tensor& h, const Tensor& w) { h.copy_(w * 2.f); }, [](Tensor& h, const Tensor& w) { h = h * 0.f + w * 2.f; }},
      {"copy_ row", [](Tensor& h, const Tensor& w) { h.copy_(w.slice(0, 0, 1)); }, [](Tensor& h, const Tensor& w) { h = h * 0.f + w.slice(0, 0, 1); }},
      {"fill_", [](Tensor& h, const Tensor&) { h.fill_(0.25); }, [](Tensor& h, const Tensor&) { h = h * 0.f + 0.25; }},
      {"chain", [](Tensor& h, const Tensor& w) { h.add_(w).mul_(w).sub_(1.0); }, [](Tensor& h, const Tensor& w) { h = (h + w) * w - 1.0; }},
      {"itself", [](Tensor& h, const Tensor&) { h.add_(h); }, [](Tensor& h, const Tensor&) { h = h + h; }},
  };
  for (const auto& [name, in_place, out_of_place] : cases) {
    const InPlaceRun a = run_in_place(in_place), b = run_in_place(out_of_place);
    EXPECT_EQ(a.h, b.h) << name;
    EXPECT_EQ(a.dx, b.dx) << name;
    EXPECT_EQ(a.dw, b.dw) << name;
  }
}

TEST(InPlace, TheResultTakesTheOpsPlaceInTheGraph) {
  Tensor x = full({2}, 3.f).requires_grad_();
  Tensor h = x * 2.f;
  h.mul_(full({2}, 6.f));
  EXPECT_EQ(h.grad_fn_name(), "mul");
  EXPECT_FALSE(h.is_leaf());
  h.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{12, 12}));
}

// Before, an in-place op on a tensor that needed no grad lost the operand's gradient in silence.
TEST(InPlace, ATensorWithoutGradJoinsTheGraphThroughItsOperand) {
  Tensor acc = zeros({3});
  Tensor w = tensor({1., 2., 3.}).requires_grad_();
  acc.add_(w * w);
  acc.add_(w);
  EXPECT_TRUE(acc.requires_grad());
  EXPECT_FALSE(acc.is_leaf());
  acc.sum().backward();
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{3, 5, 7}));  // 2w + 1
}

TEST(InPlace, FillingAResultCutsItsGradientToZero) {
  Tensor a = full({2}, 3.f).requires_grad_();
  Tensor y = a * 2.f;
  y.fill_(5.f);
  EXPECT_TRUE(y.requires_grad()) << "it stays in the graph, as libtorch's";
  (y * a).sum().backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{5, 5})) << "only through the second factor";
}

// Writes through views are recorded as libtorch's CopySlices (outputs and gradients against
// PyTorch: test_op_parity's inplace_through_* cases); what libtorch refuses, or ann cannot
// follow, is refused before anything is written.
TEST(InPlace, WritesThroughViewsAndWhatIsRefused) {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor h = x * 2.f;
  Tensor view = h.view({6});
  std::string m = autograd_message([&] { h.mul_(2.0); });  // the base, while a view of it lives
  EXPECT_NE(m.find("mul_: this tensor (shape [2, 3]) shares its memory"), std::string::npos) << m;
  m = autograd_message([&] { x.select(0, 1).add_(1.0); });
  EXPECT_NE(m.find("is a view of a leaf tensor that requires grad"), std::string::npos) << m;
  m = autograd_message([&] { h.select(0, 0).unsqueeze(0).expand({4, 3}).add_(1.0); });
  EXPECT_NE(m.find("several of its elements share one memory location"), std::string::npos) << m;
  m = autograd_message([&] { h.select(0, 0).add_(h.select(0, 1)); });
  EXPECT_NE(m.find("the other operand was computed from the tensor written"), std::string::npos) << m;
  EXPECT_EQ(h.sum().item<float>(), 12.f) << "refused before writing";

  // A tensor without grad written through a view with an operand that has it: the base joins
  // the graph, and the operand gets the gradient of the place it was written to.
  Tensor base = zeros({2, 3});
  Tensor w = tensor({1.f, 2.f, 3.f}).requires_grad_();
  base.select(0, 1).copy_(w);
  EXPECT_TRUE(base.requires_grad());
  (base * tensor({{1.f, 1.f, 1.f}, {4.f, 5.f, 6.f}})).sum().backward();
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{4, 5, 6}));

  // a view made under NoGradGuard, written while recording: refused, as libtorch
  Tensor g = x * 1.f;
  Tensor quiet;
  {
    NoGradGuard no_grad;
    quiet = g.select(0, 0);
  }
  EXPECT_THROW(quiet.mul_(w), AutogradError);
  NoGradGuard no_grad;  // not recorded: views are written as always
  Tensor plain = zeros({2, 3});
  plain.select(0, 1).copy_(w);
  EXPECT_EQ(plain.sum().item<float>(), 6.f);
}

TEST(InPlace, AnOperandComputedFromTheTensorIsRefused) {
  Tensor x = ones({3}).requires_grad_();
  Tensor h = x * 2.f;
  const std::string m = autograd_message([&] { h.mul_(h + 1.0); });
  EXPECT_NE(m.find("mul_: this tensor (shape [3]): the other operand was computed from this tensor"), std::string::npos) << m;
}

TEST(InPlace, AnEarlierUseOfTheOldValueMakesBackwardThrow) {
  Tensor x = ones({3}).requires_grad_();
  Tensor h = x * 2.f;
  Tensor z = h * 3.f;  // reads h as it was
  h.add_(1.0);
  const std::string m = autograd_message([&] { (z + h).sum().backward(); });
  EXPECT_NE(m.find("of 'mul' was modified by an in-place operation"), std::string::npos) << m;
}

TEST(InPlace, OpsAutogradCannotFollowAreRefusedOnAResult) {
  Tensor a = full({2}, 3.f).requires_grad_();
  Tensor y = a * 2.f;
  const std::string m = autograd_message([&] { y.uniform_(); });
  EXPECT_NE(m.find("made by 'mul'"), std::string::npos) << m;
  EXPECT_NE(m.find("autograd does not follow 'uniform_'"), std::string::npos) << m;
}

// The case: y = a * a saves a; a changed under no_grad; backward must not use the new a.
TEST(InPlace, ModifyingASavedInputMakesBackwardThrow) {
  Tensor a = full({3}, 3.f).requires_grad_();
  Tensor y = a * a;
  {
    NoGradGuard no_grad;
    a.fill_(2.f);
  }
  const std::string m = autograd_message([&] { y.sum().backward(); });
  EXPECT_NE(m.find("input 0 (shape [3]) of 'mul' was modified by an in-place operation"), std::string::npos) << m;
  EXPECT_FALSE(a.grad().defined()) << "nothing accumulated";
}

TEST(InPlace, ModifyingDataThroughAViewMakesBackwardThrow) {
  manual_seed(0);
  nn::Linear layer(4, 2);
  Tensor X = randn({5, 4});  // needs no grad, but the weight's gradient reads it
  Tensor loss = layer(X).sum();
  X.slice(0, 0, 1).fill_(0.f);  // a view shares X's storage and its version
  EXPECT_GT(X._version(), 0u);
  EXPECT_THROW(loss.backward(), AutogradError);
}

TEST(InPlace, ModifyingAnOutputThroughDetachMakesBackwardThrow) {
  Tensor x = full({2}, 1.f).requires_grad_();
  Tensor y = exp(x);  // its derivative reads y
  y.detach().fill_(0.f);
  const std::string m = autograd_message([&] { y.sum().backward(); });
  EXPECT_NE(m.find("the output of"), std::string::npos) << m;
}

// ELU's slope is taken from its output (y + α below 0), but as in torch only x is saved: its
// output stays free to write, and the gradient is the one of the untouched graph.
TEST(InPlace, AnEluOutputWrittenInPlaceKeepsItsGradient) {
  const std::vector<float> values{-3.f, -0.5f, 0.f, 0.75f, 2.f};
  auto gradient = [&](bool write_output) {
    Tensor x = from_vector(values, {5}).requires_grad_();
    Tensor y = elu(x, 1.5);
    if (write_output) y.mul_(1.f);  // a recorded in-place op: bumps y's version, same values
    y.sum().backward();
    return x.grad().to_vector<float>();
  };
  const std::vector<float> untouched = gradient(false), written = gradient(true);
  EXPECT_EQ(written, untouched);
  for (std::size_t i = 0; i < values.size(); ++i) {  // 1 above 0, 1.5 eˣ at and below
    const double slope = values[i] > 0.f ? 1.0 : 1.5 * std::exp(double(values[i]));
    EXPECT_NEAR(untouched[i], slope, 2e-7) << values[i];
  }
}

TEST(InPlace, AnOptimizerStepCountsAsAWriteToEveryParameter) {
  manual_seed(1);
  nn::Linear layer(3, 2);
  optim::SGD optimizer(layer.parameters(), {.lr = 0.1});
  const std::uint32_t before = layer.weight._version();
  Tensor loss = layer(randn({4, 3})).pow(2.f).sum();
  loss.backward(ones({}), /*retain_graph=*/true);
  optimizer.step();  // the fused kernel writes through the pointer
  EXPECT_GT(layer.weight._version(), before);
  EXPECT_THROW(loss.backward(ones({}), true), AutogradError) << "the retained graph saw the old weights";
}

TEST(InPlace, WritesElsewhereDoNotDisturbAGraph) {
  Tensor a = full({3}, 3.f).requires_grad_();
  Tensor other = zeros({3});
  Tensor y = a * a;
  other.fill_(5.f);
  y.sum().backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{6, 6, 6}));
}

}  // namespace

// ---- autograd::grad and second derivatives (create_graph) ------------------------------------

namespace {

TEST(AutogradGrad, ReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = tensor({1., 2., -3.}).requires_grad_();
  Tensor w = tensor({0.5, 0.5, 0.5}).requires_grad_();
  const Tensor y = (x * x * x * w).sum();
  const std::vector<Tensor> g = autograd::grad({y}, {x});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{1.5f, 6.f, 13.5f}));  // 3x²w
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined()) << "no leaf accumulates";
  EXPECT_FALSE(g[0].requires_grad()) << "without create_graph the gradient is a constant";
}

TEST(AutogradGrad, AnIntermediateTensorGetsItsGradient) {
  Tensor x = tensor({1., 2.}).requires_grad_();
  const Tensor h = x * 3.0;
  const Tensor y = (h * h).sum() + h.sum();
  EXPECT_EQ(autograd::grad({y}, {h}, {}, /*retain_graph=*/true)[0].to_vector<float>(), (std::vector<float>{7, 13}));  // 2h + 1
  EXPECT_EQ(autograd::grad({y}, {x, h})[0].to_vector<float>(), (std::vector<float>{21, 39}));
}

TEST(AutogradGrad, SecondDerivativesWithCreateGraph) {
  Tensor x = tensor({1., 2., -3.}, TensorOptions().dtype(kFloat64)).requires_grad_();
  const Tensor y = (x * x * x).sum() + exp(x).sum();
  const Tensor g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  EXPECT_TRUE(g.requires_grad());
  const Tensor gg = autograd::grad({g.sum()}, {x})[0];  // d/dx Σ(3x² + eˣ) = 6x + eˣ
  const std::vector<double> got = gg.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double v = x.to_vector<double>()[i];
    EXPECT_NEAR(got[i], 6 * v + std::exp(v), 1e-12);
  }
  // grad_outputs weigh several outputs; allow_unused gives an undefined tensor
  Tensor unused = tensor({1.}).requires_grad_();
  const auto two = autograd::grad({x * 2.0, x.sum()}, {x, unused}, {tensor({1., 0., 1.}, TensorOptions().dtype(kFloat64)), Tensor()},
                                  std::nullopt, false, /*allow_unused=*/true);
  EXPECT_EQ(two[0].to_vector<double>(), (std::vector<double>{3, 1, 3}));
  EXPECT_FALSE(two[1].defined());
}

// Hessian-vector products of scalar functions, against central differences of the gradient:
// H v ≈ (∇f(x + εv) − ∇f(x − εv)) / 2ε. Every op on these paths has a differentiable derivative.
TEST(AutogradGrad, HessianVectorProductsMatchFiniteDifferences) {
  manual_seed(5);
  const Tensor W1 = randn({4, 3}, TensorOptions().dtype(kFloat64)), W2 = randn({2, 4}, TensorOptions().dtype(kFloat64));
  const Tensor target = randn({5, 2}, TensorOptions().dtype(kFloat64));
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Fn>> functions = {
      {"polynomial", [](const Tensor& x) { return (x * x * x - x * 2.0).sum(); }},
      {"squashing", [](const Tensor& x) { return (tanh(x) * sigmoid(x) + exp(x * 0.5) + log(x * x + 1.0)).sum(); }},
      {"quotient", [](const Tensor& x) { return (x / (x * x + 2.0) + sqrt(x * x + 1.0) + pow(x, 3.0)).sum(); }},
      {"activations", [](const Tensor& x) { return (silu(x) * gelu(x) + softplus(x) * elu(x) + leaky_relu(x, 0.1) * x).sum(); }},
      {"reductions", [](const Tensor& x) { return (sum(x * x, 1) * mean(x, 1)).sum() + x.t().matmul(x).sum(); }},
      {"views", [](const Tensor& x) {
         return (x.slice(1, 0, 2) * x.select(1, 2).unsqueeze(1)).pow(2.0).sum() + sum(cat({x, x * x}, 0).t(), 0).pow(2.0).sum();
       }},
      {"softmax", [](const Tensor& x) {
         return (softmax(x, 1) * x).sum() + nn::functional::cross_entropy(x, tensor({0, 2, 1, 1, 0}));
       }},
      {"products_and_running_sums", [](const Tensor& x) {
         return (prod(x, 1) * cumsum(x, 0).sum(1)).sum() + prod(x.slice(0, 0, 2) + 2.0).pow(2.0);
       }},
      {"picks", [](const Tensor& x) {  // index_select, max/min, slices with a step, index, maximum
         return (index_select(x, 1, tensor({2, 0, 2})) * x.slice(1, 0, 3, 2).repeat({1, 2}).slice(1, 0, 3)).pow(2.0).sum() +
                std::get<0>(x.max(1)).pow(3.0).sum() + std::get<0>(x.min(0)).exp().sum() +
                x.index({tensor({4, 0}), tensor({1, 1})}).pow(2.0).sum() + maximum(x, x * x * 0.5).sum();
       }},
      {"pointwise_losses", [](const Tensor& x) {  // the fused float32 kernels' compositions (float64: composed)
         const Tensor y = x.pow(2.0) * 0.5;
         return nn::functional::l1_loss(x * x, y) + nn::functional::smooth_l1_loss(x, y, nn::Reduction::Mean, 0.7) +
                nn::functional::huber_loss(x * 3.0, y, nn::Reduction::Sum, 1.5) +
                nn::functional::binary_cross_entropy_with_logits(x, sigmoid(y)) + sign(x).sum() * x.sum();
       }},
      {"mlp", [&](const Tensor& x) {  // a tanh net's squared error, through the affine layers
         const Tensor h = tanh(x.matmul(W1.t()));
         return nn::functional::mse_loss(h.matmul(W2.t()), target);
       }},
  };
  const Tensor x0 = randn({5, 3}, TensorOptions().dtype(kFloat64));
  const Tensor v = randn({5, 3}, TensorOptions().dtype(kFloat64));
  for (const auto& [name, f] : functions) {
    SCOPED_TRACE(name);
    Tensor x = x0.clone().requires_grad_();
    const Tensor g = autograd::grad({f(x)}, {x}, {}, std::nullopt, true)[0];
    const Tensor hv = autograd::grad({g}, {x}, {v})[0];
    const auto gradient_at = [&](const Tensor& at) {
      Tensor p = at.detach().requires_grad_();
      return autograd::grad({f(p)}, {p})[0];
    };
    const double eps = 1e-6;
    const Tensor numeric = (gradient_at(x0 + v * eps) - gradient_at(x0 - v * eps)) / (2 * eps);
    const std::vector<double> a = hv.to_vector<double>(), b = numeric.to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6 * std::max(1.0, std::abs(b[i]))) << i;
  }
}

// At exactly 0, where the composition of softplus's slope switches its masks (βx >= 0), its
// derivative is the function's own second derivative: β σ(βx)(1 − σ(βx)) = β/4 (an abs there, whose
// derivative at 0 is 0, made it 0).
TEST(AutogradGrad, SoftplusSecondDerivativeAtZero) {
  for (const double beta : {1.0, 2.0}) {
    for (const DTypeName dtype : {kFloat64, kFloat32}) {
      SCOPED_TRACE("beta " + std::to_string(beta));
      Tensor x = tensor({0.0, -0.0}, TensorOptions().dtype(dtype)).requires_grad_();
      const Tensor g = autograd::grad({softplus(x, beta, 20.0).sum()}, {x}, {}, std::nullopt, true)[0];
      const Tensor second = autograd::grad({g.sum()}, {x})[0];
      for (const double v : second.to(kFloat64).to_vector<double>()) EXPECT_NEAR(v, beta / 4, 1e-6);
    }
  }
}

// A gradient penalty through ann's fused float32 layers: the fused affine layer, the two-layer
// kernel of nn::Sequential and the fused losses are differentiated again through their
// compositions, and give the composed net's numbers.
TEST(AutogradGrad, SecondDerivativesThroughFusedLayers) {
  manual_seed(2);
  nn::Linear layer1(3, 8), layer2(8, 1);
  nn::Sequential model{layer1, nn::Tanh(), layer2};  // copies: the same weights, one fused node
  const Tensor X = randn({6, 3}), Y = randn({6, 1});
  enum class Path { Composed, FusedLayers, Sequential };
  const auto penalty_gradient = [&](Path path) {
    Tensor x = X.clone().requires_grad_();
    const nn::Linear& first = path == Path::Sequential ? model.at<nn::Linear>(0) : layer1;
    Tensor y_pred = path == Path::Composed
                        ? tanh(x.matmul(layer1.weight.t()) + layer1.bias).matmul(layer2.weight.t()) + layer2.bias
                    : path == Path::FusedLayers ? layer2(tanh(layer1(x)))
                                                : model(x);
    if (path == Path::Sequential && X.device().is_cpu()) {  // the checked device has no fused kernel
      EXPECT_EQ(y_pred.grad_fn_name(), "narrow_mlp");
    }
    if (path != Path::Composed && X.device().is_cpu()) {
      EXPECT_EQ(nn::functional::huber_loss(y_pred, Y).grad_fn_name(), "huber_loss");
    }
    const Tensor loss = nn::functional::mse_loss(y_pred, Y) +
                        nn::functional::cross_entropy(cat({y_pred, y_pred * 2.f}, 1), tensor({0, 1, 1, 0, 1, 0})) +
                        nn::functional::l1_loss(y_pred * y_pred, Y) +
                        nn::functional::smooth_l1_loss(y_pred, Y, nn::Reduction::Sum, 0.5) +
                        nn::functional::huber_loss(y_pred, Y * 2.f, nn::Reduction::Mean, 0.8) +
                        nn::functional::binary_cross_entropy_with_logits(y_pred, sigmoid(Y));
    const Tensor dx = autograd::grad({loss}, {x}, {}, std::nullopt, true)[0];
    const Tensor penalty = (dx * dx).sum();
    return autograd::grad({penalty}, {first.weight})[0].to_vector<float>();
  };
  const std::vector<float> composed = penalty_gradient(Path::Composed);
  for (const Path path : {Path::FusedLayers, Path::Sequential}) {
    const std::vector<float> fused = penalty_gradient(path);
    ASSERT_EQ(fused.size(), composed.size());
    for (std::size_t i = 0; i < fused.size(); ++i) {
      EXPECT_NEAR(fused[i], composed[i], 1e-5f * std::max(1.f, std::abs(composed[i]))) << i;
    }
  }
}

// exp, saving its output: its backward reads y, whose own dependence on x a pass with
// create_graph could not see.
struct ExpSavingOutput : autograd::Function<ExpSavingOutput> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& x) {
    Tensor y = exp(x);
    ctx->save_for_backward({y});
    return y;
  }
  static autograd::variable_list backward(autograd::AutogradContext* ctx, autograd::variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->get_saved_variables()[0]};
  }
};

TEST(AutogradGrad, MisuseIsAnAutogradError) {
  Tensor x = tensor({1., 2.}).requires_grad_();
  const Tensor y = (x * x).sum();
  std::string m = autograd_message([&] { autograd::grad({y}, {tensor({1., 2.})}); });
  EXPECT_NE(m.find("grad: input 0 (shape [2]) does not require grad"), std::string::npos) << m;
  Tensor other = tensor({3.}).requires_grad_();
  m = autograd_message([&] { autograd::grad({y}, {other}, {}, true); });
  EXPECT_NE(m.find("is not used by the outputs' graph"), std::string::npos) << m;
  m = autograd_message([&] { autograd::grad({x * 2.0}, {x}); });
  EXPECT_NE(m.find("output 0 has 2 elements"), std::string::npos) << m;
  // a derivative ann cannot differentiate (a custom function that saved its output): refused,
  // never a wrong number
  Tensor z = tensor({{1., 2.}, {0.5, -1.}}).requires_grad_();
  const Tensor loss = ExpSavingOutput::apply(z).sum();
  m = autograd_message([&] { autograd::grad({loss}, {z}, {}, std::nullopt, true); });
  EXPECT_NE(m.find("grad with create_graph: custom function "), std::string::npos) << m;
  EXPECT_NE(m.find("saved tensor 0 (shape [2, 2]) is not one of its arguments"), std::string::npos) << m;
  // without create_graph it is an ordinary derivative
  EXPECT_NEAR(autograd::grad({ExpSavingOutput::apply(z).sum()}, {z})[0].at<float>({0, 1}), std::exp(2.f), 1e-5f);
}

TEST(AutogradGrad, GradModeGuards) {
  {
    InferenceMode inference;
    EXPECT_FALSE(is_grad_enabled());
    AutoGradMode enable(true);  // torch.enable_grad() inside
    EXPECT_TRUE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  Tensor x = ones({2}).requires_grad_();
  {
    InferenceMode inference;
    EXPECT_FALSE((x * 2.0).requires_grad());
  }
}

}  // namespace

// ---- hooks, retain_grad, custom functions --------------------------------------------------------

namespace {

struct Square : autograd::Function<Square> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static autograd::variable_list backward(autograd::AutogradContext* ctx, autograd::variable_list grad_outputs) {
    return {grad_outputs[0] * 2.0 * ctx->get_saved_variables()[0]};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(autograd::AutogradContext*, const Tensor& x, double) { return x * 1.0; }
  static autograd::variable_list backward(autograd::AutogradContext*, autograd::variable_list g) { return {g[0]}; }
};

// x ↦ x³ · w with saved arguments: differentiable again (its backward is recorded in a pass with
// create_graph and reads the arguments themselves); needs_input_grad tells which need a gradient.
struct CubeTimes : autograd::Function<CubeTimes> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& x, const Tensor& w) {
    ctx->save_for_backward({x, w});
    return x * x * x * w;
  }
  static autograd::variable_list backward(autograd::AutogradContext* ctx, autograd::variable_list grad_outputs) {
    const autograd::variable_list saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &w = saved[1];
    const Tensor& g = grad_outputs[0];
    if (ctx->needs_input_grad(1)) ++w_gradients;
    return {ctx->needs_input_grad(0) ? g * 3.0 * x * x * w : Tensor(), ctx->needs_input_grad(1) ? g * x * x * x : Tensor()};
  }
  static inline int w_gradients = 0;
};

TEST(CustomFunction, SecondDerivativesThroughSavedArguments) {
  Tensor x = tensor({1., -2., 0.5}, kFloat64).requires_grad_();
  const Tensor w = tensor({2., 1., -1.}, kFloat64);  // no gradient wanted
  const Tensor dx = autograd::grad({CubeTimes::apply(x, w).sum()}, {x}, {}, std::nullopt, true)[0];
  EXPECT_EQ(dx.to_vector<double>(), (std::vector<double>{6, 12, -0.75}));  // 3x²w
  const Tensor d2x = autograd::grad({dx.sum()}, {x})[0];
  EXPECT_EQ(d2x.to_vector<double>(), (std::vector<double>{12, -12, -3}));  // 6xw
  EXPECT_EQ(CubeTimes::w_gradients, 0);  // needs_input_grad(1) was false: w needs no gradient
  Tensor w_grad = w.clone().requires_grad_();
  (CubeTimes::apply(x, w_grad) * 1.0).sum().backward();
  EXPECT_EQ(CubeTimes::w_gradients, 1);
  EXPECT_EQ(w_grad.grad().to_vector<double>(), (std::vector<double>{1, -8, 0.125}));  // x³
}

struct AddOneInPlace : autograd::Function<AddOneInPlace> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& x) {
    Tensor changed = x;
    changed.add_(1.0);
    ctx->mark_dirty({x});
    return x;
  }
  static autograd::variable_list backward(autograd::AutogradContext*, autograd::variable_list g) { return {g[0]}; }
};

// mark_dirty (the libtorch program checks the numbers): a leaf that requires grad is refused;
// an op's result changed in place makes backward refuse that op, whose output it was (ann
// counts every output as saved; libtorch refuses only where the derivative reads it).
TEST(CustomFunction, MarkDirtyRefusals) {
  Tensor leaf = ones({2}).requires_grad_();
  EXPECT_NE(autograd_message([&] { AddOneInPlace::apply(leaf); }).find("a leaf tensor (shape [2]) that requires grad"),
            std::string::npos);
  Tensor x = ones({2}).requires_grad_();
  Tensor h = x * 3.0;
  const Tensor same = AddOneInPlace::apply(h);
  EXPECT_EQ(same.impl(), h.impl());
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{4, 4}));
  EXPECT_NE(autograd_message([&] { h.sum().backward(); }).find("the output of 'mul' (shape [2]) was modified"),
            std::string::npos);
}

TEST(CustomFunction, GradientAndItsChecks) {
  Tensor x = tensor({1., -2.}).requires_grad_();
  Tensor y = Square::apply(x);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 4}));
  EXPECT_FALSE(y.is_leaf());
  (y * 3.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6, -12}));

  Tensor z = tensor({1.}).requires_grad_();
  const std::string m = autograd_message([&] { WrongCount::apply(z, 2.0).sum().backward(); });
  EXPECT_NE(m.find("returned 1 gradients for 2 arguments of forward"), std::string::npos) << m;

  Tensor v = tensor({3.}).requires_grad_();
  Tensor h = v * 1.0;
  Tensor out = Square::apply(h);
  {
    NoGradGuard no_grad;
    h.add_(1.0);  // the saved input changes before backward
  }
  const std::string changed = autograd_message([&] { out.sum().backward(); });
  EXPECT_NE(changed.find("modified by an in-place operation"), std::string::npos) << changed;
}

TEST(Hooks, SeeReplaceAndAreRemoved) {
  Tensor w = tensor({1., 2.}).requires_grad_();
  std::vector<float> seen;
  const unsigned watch = w.register_hook([&](const Tensor& g) { seen = g.to_vector<float>(); });
  w.register_hook([](const Tensor& g) { return g * 10.0; });
  (w * 3.0).sum().backward();
  EXPECT_EQ(seen, (std::vector<float>{3, 3}));
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{30, 30}));
  w.remove_hook(watch);
  seen.clear();
  w.zero_grad();
  (w * 3.0).sum().backward();
  EXPECT_TRUE(seen.empty()) << "removed";
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{30, 30}));
  // a hook on an intermediate tensor changes what flows on; a wrong shape is refused
  Tensor h = w * 2.0;
  h.register_hook([](const Tensor& g) { return g.sum(); });
  EXPECT_THROW(h.sum().backward(), AutogradError);
  EXPECT_THROW(tensor({1.}).register_hook([](const Tensor& g) { return g; }), AutogradError);
}

// A layer's backward adds its weight's gradient into .grad itself where there is one already,
// except where the weight has hooks: they see (and may replace) each gradient before it is added.
TEST(Hooks, SeeEachGradientThatAddsIntoAnExistingOne) {
  manual_seed(3);
  nn::Linear layer(4, 2);
  int seen = 0;
  layer.weight.register_hook([&seen](const Tensor& g) {
    ++seen;
    return g * 2.0;
  });
  const Tensor x = randn({5, 4});
  layer(x).sum().backward();
  const std::vector<float> once = layer.weight.grad().to_vector<float>();
  layer(x).sum().backward();  // no zero_grad: the gradient adds up
  EXPECT_EQ(seen, 2);
  const std::vector<float> twice = layer.weight.grad().to_vector<float>();
  for (std::size_t i = 0; i < once.size(); ++i) EXPECT_EQ(twice[i], 2 * once[i]) << i;
}

TEST(Hooks, RetainGradKeepsAnIntermediatesGradient) {
  Tensor x = tensor({1., 2.}).requires_grad_();
  Tensor h = x * 3.0;
  EXPECT_FALSE(h.retains_grad());
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  (h * h).sum().backward();
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{6, 12}));  // 2h
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{18, 36}));
  Tensor other = x * 2.0;
  (other * 1.0).sum().backward();
  EXPECT_FALSE(other.grad().defined()) << "not retained";
}

TEST(OptimizerClosure, StepWithAClosureIsTheFiveStepLoop) {
  const auto run = [](bool closure) {
    manual_seed(4);
    nn::Linear model(3, 1);
    const Tensor X = randn({8, 3}), y = randn({8, 1});
    optim::SGD optimizer(model.parameters(), {.lr = 0.1, .momentum = 0.9});
    std::vector<float> losses;
    for (int t = 0; t < 5; ++t) {
      if (closure) {
        const Tensor loss = optimizer.step([&] {
          optimizer.zero_grad();
          Tensor l = nn::functional::mse_loss(model(X), y);
          l.backward();
          return l;
        });
        losses.push_back(loss.item());
      } else {
        Tensor l = nn::functional::mse_loss(model(X), y);
        optimizer.zero_grad();
        l.backward();
        optimizer.step();
        losses.push_back(l.item());
      }
    }
    return losses;
  };
  const std::vector<float> five_steps = run(false);
  EXPECT_EQ(run(true), five_steps);
  NoGradGuard no_grad;  // the closure records even inside no_grad, as libtorch's
  EXPECT_EQ(run(true), five_steps);
}

}  // namespace

namespace {
// libtorch's loss.backward({}, {}, /*create_graph=*/true): the accumulated .grad carries a graph.
TEST(AutogradGrad, BackwardWithCreateGraph) {
  Tensor x = tensor({1., 2., -3.}, TensorOptions().dtype(kFloat64)).requires_grad_();
  (x * x * x).sum().backward({}, {}, /*create_graph=*/true);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 12, 27}));
  EXPECT_TRUE(x.grad().requires_grad());
  const Tensor second = autograd::grad({x.grad().sum()}, {x}, {}, /*retain_graph=*/true)[0];  // 6x
  EXPECT_EQ(second.to_vector<double>(), (std::vector<double>{6, 12, -18}));
  // a second pass adds into the recorded .grad: 3x² + 2x
  (x * x).sum().backward({}, {}, true);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5, 16, 21}));
  EXPECT_EQ(autograd::grad({x.grad().sum()}, {x})[0].to_vector<double>(), (std::vector<double>{8, 14, -16}));
}
}  // namespace
