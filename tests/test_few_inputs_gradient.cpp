// A layer of few inputs' weight gradient (src/backend/cpu/few_inputs_gradient.h): dW = dzᵀ·x
// for x of 1–8 columns, against sums in double; the same bits however the rows are cut into
// blocks and the columns among threads; sgemm running it; and the layer's fused backward, where
// the input's gradient is not needed, giving the composition's weight gradient bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ann/ann.h"
#include "backend/cpu/few_inputs_gradient.h"
#include "backend/cpu/sgemm.h"

namespace {

using namespace ann::backend::cpu;

// dz [rows, columns] and x [rows, inputs] with leading dimensions beyond their rows, normal values.
struct Operands {
  std::int64_t rows, columns, inputs, ldz, ldx;
  std::vector<float> dz, x;

  Operands(std::int64_t r, std::int64_t c, std::int64_t k, std::mt19937& rng)
      : rows(r), columns(c), inputs(k), ldz(c + 3), ldx(k + 1), dz(static_cast<std::size_t>(r * ldz)),
        x(static_cast<std::size_t>(r * ldx)) {
    std::normal_distribution<float> normal;
    for (float& v : dz) v = normal(rng);
    for (float& v : x) v = normal(rng);
  }
  // Σ_r dz[r, j]·x[r, k] in double; Σ_r |dz[r, j]·x[r, k]|, the scale of its rounding
  double sum(std::int64_t j, std::int64_t k, double* magnitude) const {
    double s = 0, a = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const double p = double(dz[static_cast<std::size_t>(r * ldz + j)]) * x[static_cast<std::size_t>(r * ldx + k)];
      s += p;
      a += std::fabs(p);
    }
    *magnitude = a;
    return s;
  }
};

TEST(FewInputsGradient, MatchesDoubleSumsForEveryInputCountAndRemainder) {
  std::mt19937 rng(7);
  for (std::int64_t inputs = 1; inputs <= kFewInputsMax; ++inputs) {
    for (std::int64_t columns : {1, 15, 16, 17, 40}) {
      for (std::int64_t rows : {1, 15, 16, 17, 1000}) {
        for (const float beta : {0.f, 1.f, 0.5f}) {
          SCOPED_TRACE(testing::Message() << columns << " × " << inputs << " over " << rows << " rows, β " << beta);
          const Operands o(rows, columns, inputs, rng);
          const float alpha = beta == 0.5f ? 2.f : 1.f;
          const std::int64_t ldc = inputs + 2;
          std::normal_distribution<float> normal;
          std::vector<float> C(static_cast<std::size_t>(columns * ldc));
          for (float& v : C) v = beta == 0.f ? std::nanf("") : normal(rng);  // β = 0 must not read C
          const std::vector<float> C0 = C;
          few_inputs_gradient(columns, inputs, rows, alpha, o.dz.data(), o.ldz, o.x.data(), o.ldx, beta, C.data(), ldc);
          for (std::int64_t j = 0; j < columns; ++j) {
            for (std::int64_t k = 0; k < ldc; ++k) {
              const std::size_t at = static_cast<std::size_t>(j * ldc + k);
              if (k >= inputs) {  // the padding between C's rows as it was
                ASSERT_TRUE(C[at] == C0[at] || (std::isnan(C[at]) && std::isnan(C0[at])));
                continue;
              }
              double magnitude = 0;
              const double want = alpha * o.sum(j, k, &magnitude) + (beta == 0.f ? 0.0 : beta * double(C0[at]));
              ASSERT_NEAR(C[at], want, 1e-6 * alpha * magnitude + 1e-6 * std::fabs(want)) << "C[" << j << ", " << k << "]";
            }
          }
        }
      }
    }
  }
}

// The sums a thread makes for its columns, and the blocks of rows a fused backward adds, give
// the same bits as one pass over all of it.
TEST(FewInputsGradient, TheSameBitsHoweverRowsAndColumnsAreCut) {
  std::mt19937 rng(9);
  const Operands o(1203, 77, 3, rng);
  std::vector<float> whole(77 * 3), cut(77 * 3);
  few_inputs_gradient(77, 3, 1203, 1.f, o.dz.data(), o.ldz, o.x.data(), o.ldx, 0.f, whole.data(), 3);
  // columns [0, 32) and [32, 77) apart, each in blocks of 48 rows and a last one of 3
  for (const auto& [first, width] : {std::pair<std::int64_t, std::int64_t>{0, 32}, {32, 45}}) {
    OuterSums sums(width, 3, false);
    for (std::int64_t r = 0; r < 1203; r += 48)
      sums.add(std::min<std::int64_t>(48, 1203 - r), o.dz.data() + r * o.ldz + first, o.ldz, o.x.data() + r * o.ldx, o.ldx);
    sums.store_weight_gradient(1.f, 0.f, cut.data() + first * 3, 3);
  }
  EXPECT_EQ(whole, cut);
}

TEST(FewInputsGradient, SgemmRunsTheWeightGradientOfFewInputsOnBatches) {
  EXPECT_TRUE(sgemm_sums_few_inputs(true, false, 1709, 3, 3626));  // dzᵀ·x of a first layer
  EXPECT_TRUE(sgemm_sums_few_inputs(true, false, 100, 8, 600));
  EXPECT_FALSE(sgemm_sums_few_inputs(true, false, 1709, 9, 3626));  // more inputs
  EXPECT_FALSE(sgemm_sums_few_inputs(false, false, 1709, 3, 3626));  // another product
  EXPECT_FALSE(sgemm_sums_few_inputs(true, true, 1709, 3, 3626));
  EXPECT_FALSE(sgemm_sums_few_inputs(true, false, 100, 1, 100));  // tiny: PyTorch's library's rounding
  // and sgemm gives its values, on any number of threads
  std::mt19937 rng(4);
  const Operands o(3000, 200, 5, rng);
  std::vector<float> direct(200 * 5), through_sgemm(200 * 5);
  few_inputs_gradient(200, 5, 3000, 1.f, o.dz.data(), o.ldz, o.x.data(), o.ldx, 0.f, direct.data(), 5);
  for (const int threads : {1, 2, 3}) {
    ann::set_num_threads(threads);
    sgemm(true, false, 200, 5, 3000, 1.f, o.dz.data(), o.ldz, o.x.data(), o.ldx, 0.f, through_sgemm.data(), 5);
    EXPECT_EQ(through_sgemm, direct) << threads << " threads";
  }
  ann::set_num_threads(1);
}

// A first layer (x requires no gradient) of every activation, with and without bias: its fused
// backward sums dz a block at a time, and gives the weight gradient of the modules one by one bit
// for bit (the same derivative, the same product), the bias's within rounding of the sums' order;
// a second backward adds into .grad as the product does.
TEST(FewInputsGradient, FirstLayerBackwardGivesTheCompositionsWeightGradient) {
  using namespace ann;
  for (const std::string& f : nn::activation_names()) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(f + (bias ? " with bias" : " without bias"));
      manual_seed(5);
      nn::Sequential model;
      model.push_back(nn::Linear(3, 700, bias));
      model.push_back(nn::AnyModule(nn::make_activation(f)));
      const Tensor x = randn({533, 3}) * 2.0, weights = randn({533, 700});
      std::vector<float> grads[2][2];  // [fused][weight, bias]
      for (const bool fused : {true, false}) {
        model.zero_grad();
        for (int pass = 0; pass < 2; ++pass) {
          if (fused) {
            sum(model(x) * weights).backward();
          } else {
            nn::NoFusionGuard unfused;
            sum(model(x) * weights).backward();
          }
        }
        const nn::Linear& layer = model.at<nn::Linear>(0);
        grads[fused][0] = layer.weight.grad().to_vector<float>();
        if (bias) grads[fused][1] = layer.bias.grad().to_vector<float>();
      }
      EXPECT_EQ(grads[1][0], grads[0][0]);
      ASSERT_EQ(grads[1][1].size(), grads[0][1].size());
      for (std::size_t j = 0; j < grads[0][1].size(); ++j)
        ASSERT_NEAR(grads[1][1][j], grads[0][1][j], 1e-5 * (1 + std::fabs(grads[0][1][j]))) << "db[" << j << "]";
    }
  }
}

}  // namespace
