// Forward values of the ops, modules' maths and losses against PyTorch. The gradient checks
// (test_gradcheck.cpp) compare each backward with its own forward, so a forward that is wrong
// in a consistent way (a biased variance, a missing term in a loss) only shows here.
//
// Every expected row was printed by PyTorch 1.13 (/usr/bin/python3) from the torch expression
// in the row, on these inputs (c = torch.tensor([0, 3, 2])):
//
//   A = torch.tensor([[0.5, -1.2, 2.0, 0.3], [-0.7, 1.5, -0.1, 0.9], [1.1, 0.2, -2.3, -0.4]])
//   B = torch.tensor([[-0.3, 0.8, 1.4, -1.0], [0.6, -0.2, 0.05, 1.7], [-1.5, 0.4, 0.9, 0.25]])
//   P = torch.tensor([[0.5, 1.2, 2.0, 0.3], [0.7, 1.5, 0.1, 0.9], [1.1, 0.2, 2.3, 0.4]])
//   Q = torch.tensor([[0.1, 0.35, 0.5, 0.9], [0.7, 0.25, 0.999, 0.05], [0.6, 0.45, 0.8, 0.2]])
//   T = torch.tensor([[0., 1., 0.5, 1.], [1., 0., 1., 0.], [0.25, 1., 0., 0.75]])
//   v = torch.tensor([1.0, -2.0, 0.5, 3.0]);  b3 = torch.tensor([0.1, -0.2, 0.3])
//   C = torch.arange(24.).reshape(2, 3, 4) * 0.1 - 1.0
//   print(", ".join("%.9g" % x for x in EXPR.flatten().tolist()))
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "device_support.h"
#include "drawn.h"

namespace {

using namespace ann;
using nn::Reduction;

Tensor ints(std::vector<std::int64_t> v, const Shape& shape) { return from_vector(v, shape); }

struct Row {
  const char* name;
  const char* torch;  // the PyTorch expression that produced `expected`
  std::function<Tensor()> f;
  Shape shape;
  std::vector<float> expected;
};

TEST(OpValues, MatchPyTorch) {
  const Tensor A = tensor({{0.5f, -1.2f, 2.0f, 0.3f}, {-0.7f, 1.5f, -0.1f, 0.9f}, {1.1f, 0.2f, -2.3f, -0.4f}});
  const Tensor B = tensor({{-0.3f, 0.8f, 1.4f, -1.0f}, {0.6f, -0.2f, 0.05f, 1.7f}, {-1.5f, 0.4f, 0.9f, 0.25f}});
  const Tensor P = tensor({{0.5f, 1.2f, 2.0f, 0.3f}, {0.7f, 1.5f, 0.1f, 0.9f}, {1.1f, 0.2f, 2.3f, 0.4f}});
  const Tensor Q = tensor({{0.1f, 0.35f, 0.5f, 0.9f}, {0.7f, 0.25f, 0.999f, 0.05f}, {0.6f, 0.45f, 0.8f, 0.2f}});
  const Tensor T = tensor({{0.f, 1.f, 0.5f, 1.f}, {1.f, 0.f, 1.f, 0.f}, {0.25f, 1.f, 0.f, 0.75f}});
  const Tensor v = tensor({1.0f, -2.0f, 0.5f, 3.0f});
  const Tensor b3 = tensor({0.1f, -0.2f, 0.3f});
  const Tensor C = arange(24.).view({2, 3, 4}) * 0.1f - 1.f;
  const Tensor c = ints({0, 3, 2}, {3});
  // clang-format off
  const std::vector<Row> rows = {
      {"matmul_mm", "torch.matmul(A, B.t())", [&] { return matmul(A, B.t()); }, {3, 3}, {1.38999987f, 1.1500001f, 0.644999921f, 0.370000124f, 0.805000007f, 1.78499997f, -2.98999977f, -0.175000027f, -3.73999977f}},
      {"matmul_vm", "torch.matmul(v, B.t())", [&] { return matmul(v, B.t()); }, {3}, {-4.19999981f, 6.125f, -1.0999999f}},
      {"matmul_mv", "torch.matmul(A, v)", [&] { return matmul(A, v); }, {3}, {4.80000019f, -1.05000019f, -1.64999998f}},
      {"matmul_vv", "torch.matmul(v, v)", [&] { return matmul(v, v); }, {}, {14.25f}},
      {"linear", "F.linear(A, B, b3)", [&] { return linear(A, B, b3); }, {3, 3}, {1.48999989f, 0.950000107f, 0.944999933f, 0.470000118f, 0.605000019f, 2.08500004f, -2.88999987f, -0.37500003f, -3.43999982f}},
      {"linear_no_bias", "F.linear(A, B)", [&] { return linear(A, B); }, {3, 3}, {1.38999987f, 1.1500001f, 0.644999921f, 0.370000124f, 0.805000007f, 1.78499997f, -2.98999977f, -0.175000027f, -3.73999977f}},
      {"linear_relu", "torch.relu(F.linear(A, B, b3))", [&] { return linear(A, B, b3, Activation::ReLU); }, {3, 3}, {1.48999989f, 0.950000107f, 0.944999933f, 0.470000118f, 0.605000019f, 2.08500004f, 0.f, 0.f, 0.f}},
      {"linear_tanh", "torch.tanh(F.linear(A, B, b3))", [&] { return linear(A, B, b3, Activation::Tanh); }, {3, 3}, {0.903324723f, 0.739783108f, 0.737511039f, 0.438199401f, 0.540597916f, 0.969565749f, -0.993841588f, -0.35835743f, -0.997945845f}},
      {"linear_sigmoid", "torch.sigmoid(F.linear(A, B, b3))", [&] { return linear(A, B, b3, Activation::Sigmoid); }, {3, 3}, {0.816078246f, 0.721115232f, 0.720108509f, 0.615383804f, 0.646799386f, 0.889436662f, 0.0526501238f, 0.407333404f, 0.0310684908f}},
      {"add", "A + B", [&] { return A + B; }, {3, 4}, {0.199999988f, -0.400000036f, 3.4000001f, -0.699999988f, -0.0999999642f, 1.29999995f, -0.0500000007f, 2.5999999f, -0.399999976f, 0.600000024f, -1.39999998f, -0.150000006f}},
      {"add_broadcast", "A + v", [&] { return A + v; }, {3, 4}, {1.5f, -3.20000005f, 2.5f, 3.29999995f, 0.300000012f, -0.5f, 0.400000006f, 3.9000001f, 2.0999999f, -1.79999995f, -1.79999995f, 2.5999999f}},
      {"sub_broadcast", "v - A", [&] { return v - A; }, {3, 4}, {0.5f, -0.799999952f, -1.5f, 2.70000005f, 1.70000005f, -3.5f, 0.600000024f, 2.0999999f, -0.100000024f, -2.20000005f, 2.79999995f, 3.4000001f}},
      {"mul", "A * B", [&] { return A * B; }, {3, 4}, {-0.150000006f, -0.960000038f, 2.79999995f, -0.300000012f, -0.420000017f, -0.300000012f, -0.00500000035f, 1.52999997f, -1.6500001f, 0.0800000057f, -2.06999993f, -0.100000001f}},
      {"mul_broadcast", "A * b3.view(3, 1)", [&] { return A * b3.view({3, 1}); }, {3, 4}, {0.0500000007f, -0.120000005f, 0.200000003f, 0.0300000012f, 0.140000001f, -0.300000012f, 0.0200000014f, -0.179999992f, 0.330000013f, 0.0600000024f, -0.689999998f, -0.120000005f}},
      {"div", "A / P", [&] { return A / P; }, {3, 4}, {1.f, -1.f, 1.f, 1.f, -1.f, 1.f, -1.f, 1.f, 1.f, 1.f, -1.f, -1.f}},
      {"add_float", "A + 2.5", [&] { return A + 2.5f; }, {3, 4}, {3.f, 1.29999995f, 4.5f, 2.79999995f, 1.79999995f, 4.f, 2.4000001f, 3.4000001f, 3.5999999f, 2.70000005f, 0.200000048f, 2.0999999f}},
      {"float_sub", "2.5 - A", [&] { return 2.5f - A; }, {3, 4}, {2.f, 3.70000005f, 0.5f, 2.20000005f, 3.20000005f, 1.f, 2.5999999f, 1.60000002f, 1.39999998f, 2.29999995f, 4.80000019f, 2.9000001f}},
      {"mul_float", "A * -3", [&] { return A * -3.f; }, {3, 4}, {-1.5f, 3.60000014f, -6.f, -0.900000036f, 2.0999999f, -4.5f, 0.300000012f, -2.69999981f, -3.30000019f, -0.600000024f, 6.89999962f, 1.20000005f}},
      {"float_div", "2 / P", [&] { return 2.f / P; }, {3, 4}, {4.f, 1.66666663f, 1.f, 6.66666651f, 2.85714293f, 1.33333337f, 20.f, 2.22222233f, 1.81818175f, 10.f, 0.869565248f, 5.f}},
      {"neg", "-A", [&] { return -A; }, {3, 4}, {-0.5f, 1.20000005f, -2.f, -0.300000012f, 0.699999988f, -1.5f, 0.100000001f, -0.899999976f, -1.10000002f, -0.200000003f, 2.29999995f, 0.400000006f}},
      {"pow_2", "A.pow(2)", [&] { return A.pow(2.f); }, {3, 4}, {0.25f, 1.44000006f, 4.f, 0.0900000036f, 0.48999998f, 2.25f, 0.0100000007f, 0.809999943f, 1.21000004f, 0.0400000028f, 5.28999996f, 0.160000011f}},
      {"pow_3", "A.pow(3)", [&] { return A.pow(3.f); }, {3, 4}, {0.125f, -1.72800016f, 8.f, 0.0270000026f, -0.342999995f, 3.375f, -0.00100000005f, 0.728999913f, 1.33100009f, 0.00800000038f, -12.1669998f, -0.064000003f}},
      {"pow_0_5", "P.pow(0.5)", [&] { return P.pow(0.5f); }, {3, 4}, {0.707106769f, 1.09544516f, 1.41421354f, 0.547722578f, 0.836660028f, 1.22474492f, 0.316227764f, 0.948683262f, 1.04880881f, 0.44721359f, 1.5165751f, 0.632455528f}},
      {"pow_1_7", "P.pow(1.7)", [&] { return P.pow(1.7f); }, {3, 4}, {0.307786107f, 1.36335242f, 3.24900961f, 0.12915349f, 0.545339108f, 1.99230182f, 0.0199526232f, 0.836011469f, 1.17589235f, 0.064826265f, 4.1203804f, 0.210621163f}},
      {"pow_minus_1", "P.pow(-1)", [&] { return P.pow(-1.f); }, {3, 4}, {2.f, 0.833333313f, 0.5f, 3.33333325f, 1.42857146f, 0.666666687f, 10.f, 1.11111116f, 0.909090877f, 5.f, 0.434782624f, 2.5f}},
      {"exp", "A.exp()", [&] { return A.exp(); }, {3, 4}, {1.64872122f, 0.301194191f, 7.38905621f, 1.34985876f, 0.49658531f, 4.48168898f, 0.90483743f, 2.45960307f, 3.00416613f, 1.22140276f, 0.10025885f, 0.670320034f}},
      {"log", "P.log()", [&] { return P.log(); }, {3, 4}, {-0.693147182f, 0.182321593f, 0.693147182f, -1.20397282f, -0.356674969f, 0.405465096f, -2.30258512f, -0.105360545f, 0.0953102037f, -1.60943794f, 0.832909107f, -0.9162907f}},
      {"sqrt", "P.sqrt()", [&] { return P.sqrt(); }, {3, 4}, {0.707106769f, 1.09544516f, 1.41421354f, 0.547722578f, 0.836660028f, 1.22474492f, 0.316227764f, 0.948683262f, 1.04880881f, 0.44721359f, 1.5165751f, 0.632455528f}},
      {"abs", "A.abs()", [&] { return A.abs(); }, {3, 4}, {0.5f, 1.20000005f, 2.f, 0.300000012f, 0.699999988f, 1.5f, 0.100000001f, 0.899999976f, 1.10000002f, 0.200000003f, 2.29999995f, 0.400000006f}},
      {"clamp", "A.clamp(-0.5, 0.6)", [&] { return A.clamp(-0.5f, 0.6f); }, {3, 4}, {0.5f, -0.5f, 0.600000024f, 0.300000012f, -0.5f, 0.600000024f, -0.100000001f, 0.600000024f, 0.600000024f, 0.200000003f, -0.5f, -0.400000006f}},
      {"relu", "A.relu()", [&] { return A.relu(); }, {3, 4}, {0.5f, 0.f, 2.f, 0.300000012f, 0.f, 1.5f, 0.f, 0.899999976f, 1.10000002f, 0.200000003f, 0.f, 0.f}},
      {"tanh", "A.tanh()", [&] { return A.tanh(); }, {3, 4}, {0.462117165f, -0.833654642f, 0.964027584f, 0.291312635f, -0.604367793f, 0.905148268f, -0.0996679962f, 0.716297865f, 0.800499022f, 0.197375327f, -0.9800964f, -0.379948974f}},
      {"sigmoid", "A.sigmoid()", [&] { return A.sigmoid(); }, {3, 4}, {0.622459352f, 0.231475219f, 0.880797029f, 0.574442506f, 0.331812233f, 0.817574441f, 0.475020796f, 0.710949481f, 0.750260115f, 0.549833953f, 0.0911229625f, 0.401312351f}},
      {"softmax_dim0", "A.softmax(0)", [&] { return A.softmax(0); }, {3, 4}, {0.320172846f, 0.0501631945f, 0.880262375f, 0.30132246f, 0.0964342132f, 0.7464149f, 0.107793793f, 0.549045265f, 0.583392978f, 0.203421801f, 0.0119438898f, 0.149632305f}},
      {"softmax_dim1", "A.softmax(1)", [&] { return A.softmax(1); }, {3, 4}, {0.15424712f, 0.028178405f, 0.691287637f, 0.126286849f, 0.0595232286f, 0.537197948f, 0.108458392f, 0.294820487f, 0.601296484f, 0.244468912f, 0.020067228f, 0.134167388f}},
      {"softmax_3d_dim1", "C.softmax(1)", [&] { return C.softmax(1); }, {2, 3, 4}, {0.211982727f, 0.211982727f, 0.211982727f, 0.211982727f, 0.316241056f, 0.316241056f, 0.316241056f, 0.316241056f, 0.471776247f, 0.471776247f, 0.471776247f, 0.471776247f, 0.211982742f, 0.211982712f, 0.211982712f, 0.211982742f, 0.316241056f, 0.316241026f, 0.316241056f, 0.316241056f, 0.471776247f, 0.471776247f, 0.471776247f, 0.471776247f}},
      {"log_softmax_dim1", "A.log_softmax(1)", [&] { return A.log_softmax(1); }, {3, 4}, {-1.86919928f, -3.56919932f, -0.369199306f, -2.06919932f, -2.82138872f, -0.621388674f, -2.22138882f, -1.2213887f, -0.508667111f, -1.40866709f, -3.90866709f, -2.00866699f}},
      {"log_softmax_dim0", "A.log_softmax(0)", [&] { return A.log_softmax(0); }, {3, 4}, {-1.13889432f, -2.9924736f, -0.127535284f, -1.19957435f, -2.33889437f, -0.292473644f, -2.22753525f, -0.599574387f, -0.538894296f, -1.59247363f, -4.42753553f, -1.89957428f}},
      {"log_softmax_3d_dim1", "C.log_softmax(1)", [&] { return C.log_softmax(1); }, {2, 3, 4}, {-1.55125046f, -1.55125046f, -1.55125046f, -1.55125046f, -1.1512506f, -1.1512506f, -1.15125048f, -1.1512506f, -0.751250505f, -0.751250505f, -0.751250505f, -0.751250505f, -1.55125046f, -1.55125058f, -1.55125058f, -1.55125046f, -1.15125048f, -1.1512506f, -1.15125048f, -1.15125048f, -0.751250505f, -0.751250505f, -0.751250505f, -0.751250505f}},
      {"sum_all", "A.sum()", [&] { return A.sum(); }, {}, {1.80000007f}},
      {"sum_dim0", "A.sum(0)", [&] { return A.sum(0); }, {4}, {0.900000036f, 0.49999994f, -0.399999976f, 0.800000072f}},
      {"sum_dim1_keepdim", "A.sum(1, keepdim=True)", [&] { return A.sum(1, true); }, {3, 1}, {1.5999999f, 1.5999999f, -1.39999986f}},
      {"sum_3d_dim1", "C.sum(1)", [&] { return C.sum(1); }, {2, 4}, {-1.79999995f, -1.5f, -1.20000005f, -0.899999976f, 1.80000007f, 2.10000038f, 2.4000001f, 2.69999981f}},
      {"mean_all", "A.mean()", [&] { return A.mean(); }, {}, {0.150000006f}},
      {"mean_dim1", "A.mean(1)", [&] { return A.mean(1); }, {3}, {0.399999976f, 0.399999976f, -0.349999964f}},
      {"max_all", "A.max()", [&] { return A.max(); }, {}, {2.f}},
      {"max_dim1", "A.max(1).values", [&] { return std::get<0>(A.max(1)); }, {3}, {2.f, 1.5f, 1.10000002f}},
      {"max_dim0_keepdim", "A.max(0, keepdim=True).values", [&] { return std::get<0>(A.max(0, true)); }, {1, 4}, {1.10000002f, 1.5f, 2.f, 0.899999976f}},
      {"min_all", "A.min()", [&] { return A.min(); }, {}, {-2.29999995f}},
      {"min_dim0", "A.min(0).values", [&] { return std::get<0>(A.min(0)); }, {4}, {-0.699999988f, -1.20000005f, -2.29999995f, -0.400000006f}},
      {"var_all", "A.var()", [&] { return A.var(); }, {}, {1.43363631f}},
      {"var_dim1", "A.var(1)", [&] { return A.var(1); }, {3}, {1.71333337f, 0.973333299f, 2.06999993f}},
      {"var_dim1_biased", "A.var(1, unbiased=False)", [&] { return A.var(1, false); }, {3}, {1.28500009f, 0.729999959f, 1.55250001f}},
      {"var_dim0_keepdim", "A.var(0, keepdim=True)", [&] { return A.var(0, true, true); }, {1, 4}, {0.840000033f, 1.82333338f, 4.62333345f, 0.423333317f}},
      {"var_3d_dim2", "C.var(2)", [&] { return C.var(2); }, {2, 3}, {0.0166666675f, 0.0166666694f, 0.0166666675f, 0.0166666582f, 0.0166666619f, 0.0166666582f}},
      {"std_all", "A.std()", [&] { return A.std(); }, {}, {1.1973455f}},
      {"std_dim0_biased", "A.std(0, unbiased=False)", [&] { return A.std(0, false); }, {4}, {0.748331487f, 1.10252237f, 1.75562584f, 0.531245887f}},
      {"std_dim1", "A.std(1)", [&] { return A.std(1); }, {3}, {1.30894363f, 0.986576557f, 1.43874943f}},
      {"stack_dim1", "torch.stack([A, B], 1)", [&] { return stack({A, B}, 1); }, {3, 2, 4}, {0.5f, -1.20000005f, 2.f, 0.300000012f, -0.300000012f, 0.800000012f, 1.39999998f, -1.f, -0.699999988f, 1.5f, -0.100000001f, 0.899999976f, 0.600000024f, -0.200000003f, 0.0500000007f, 1.70000005f, 1.10000002f, 0.200000003f, -2.29999995f, -0.400000006f, -1.5f, 0.400000006f, 0.899999976f, 0.25f}},
      {"cat_dim1", "torch.cat([A, B], 1)", [&] { return cat({A, B}, 1); }, {3, 8}, {0.5f, -1.20000005f, 2.f, 0.300000012f, -0.300000012f, 0.800000012f, 1.39999998f, -1.f, -0.699999988f, 1.5f, -0.100000001f, 0.899999976f, 0.600000024f, -0.200000003f, 0.0500000007f, 1.70000005f, 1.10000002f, 0.200000003f, -2.29999995f, -0.400000006f, -1.5f, 0.400000006f, 0.899999976f, 0.25f}},
      {"index_select", "A.index_select(1, torch.tensor([3, 0, 3]))", [&] { return index_select(A, 1, ints({3, 0, 3}, {3})); }, {3, 3}, {0.300000012f, 0.5f, 0.300000012f, 0.899999976f, -0.699999988f, 0.899999976f, -0.400000006f, 1.10000002f, -0.400000006f}},
      {"gather", "A.gather(1, torch.tensor([[0, 3], [1, 1], [2, 0]]))", [&] { return gather(A, 1, ints({0, 3, 1, 1, 2, 0}, {3, 2})); }, {3, 2}, {0.5f, 0.300000012f, 1.5f, 1.5f, -2.29999995f, 1.10000002f}},
      {"transpose_contiguous", "C.transpose(0, 2).contiguous()", [&] { return C.transpose(0, 2).contiguous(); }, {4, 3, 2}, {-1.f, 0.200000048f, -0.600000024f, 0.600000024f, -0.199999988f, 1.f, -0.899999976f, 0.300000072f, -0.5f, 0.700000048f, -0.0999999642f, 1.10000014f, -0.800000012f, 0.399999976f, -0.399999976f, 0.800000072f, 0.f, 1.20000005f, -0.699999988f, 0.5f, -0.300000012f, 0.899999976f, 0.100000024f, 1.29999995f}},
      {"slice", "A[:, 1:3]", [&] { return A.slice(1, 1, 3); }, {3, 2}, {-1.20000005f, 2.f, 1.5f, -0.100000001f, 0.200000003f, -2.29999995f}},
      {"cross_entropy_mean", "F.cross_entropy(A, c)", [&] { return nn::functional::cross_entropy(A, c); }, {}, {2.33308506f}},
      {"cross_entropy_sum", "F.cross_entropy(A, c, reduction='sum')", [&] { return nn::functional::cross_entropy(A, c, Reduction::Sum); }, {}, {6.99925518f}},
      {"cross_entropy_none", "F.cross_entropy(A, c, reduction='none')", [&] { return nn::functional::cross_entropy(A, c, Reduction::None); }, {3}, {1.86919928f, 1.2213887f, 3.90866709f}},
      {"nll_loss_mean", "F.nll_loss(A, c)", [&] { return nn::functional::nll_loss(A, c); }, {}, {0.299999982f}},
      {"nll_loss_sum", "F.nll_loss(A, c, reduction='sum')", [&] { return nn::functional::nll_loss(A, c, Reduction::Sum); }, {}, {0.899999976f}},
      {"nll_loss_none", "F.nll_loss(A, c, reduction='none')", [&] { return nn::functional::nll_loss(A, c, Reduction::None); }, {3}, {-0.5f, -0.899999976f, 2.29999995f}},
      {"mse_loss_mean", "F.mse_loss(A, B)", [&] { return nn::functional::mse_loss(A, B); }, {}, {2.44958305f}},
      {"mse_loss_sum", "F.mse_loss(A, B, reduction='sum')", [&] { return nn::functional::mse_loss(A, B, Reduction::Sum); }, {}, {29.3949966f}},
      {"mse_loss_none", "F.mse_loss(A, B, reduction='none')", [&] { return nn::functional::mse_loss(A, B, Reduction::None); }, {3, 4}, {0.640000045f, 4.f, 0.360000014f, 1.68999982f, 1.68999982f, 2.8900001f, 0.0225000009f, 0.640000105f, 6.75999928f, 0.0400000028f, 10.2399988f, 0.422499955f}},
      {"bce_mean", "F.binary_cross_entropy(Q, T)", [&] { return nn::functional::binary_cross_entropy(Q, T); }, {}, {0.594673038f}},
      {"bce_sum", "F.binary_cross_entropy(Q, T, reduction='sum')", [&] { return nn::functional::binary_cross_entropy(Q, T, Reduction::Sum); }, {}, {7.13607645f}},
      {"bce_none", "F.binary_cross_entropy(Q, T, reduction='none')", [&] { return nn::functional::binary_cross_entropy(Q, T, Reduction::None); }, {3, 4}, {0.105360545f, 1.04982209f, 0.693147182f, 0.105360545f, 0.356674969f, 0.287682086f, 0.00100048748f, 0.0512933061f, 0.814924538f, 0.79850775f, 1.60943794f, 1.26286435f}},
      {"bce_saturated", "F.binary_cross_entropy(torch.tensor([0., 1., 0., 1.]), torch.tensor([1., 0., 0., 1.]), reduction='none')", [&] { return nn::functional::binary_cross_entropy(tensor({0.f, 1.f, 0.f, 1.f}), tensor({1.f, 0.f, 0.f, 1.f}), Reduction::None); }, {4}, {100.f, 100.f, 0.f, -0.f}},
      {"bce_with_logits_mean", "F.binary_cross_entropy_with_logits(A, T)", [&] { return nn::functional::binary_cross_entropy_with_logits(A, T); }, {}, {0.960652351f}},
      {"bce_with_logits_none", "F.binary_cross_entropy_with_logits(A * 20, T, reduction='none')", [&] { return nn::functional::binary_cross_entropy_with_logits(A * 20.f, T, Reduction::None); }, {3, 4}, {10.0000458f, 24.f, 20.f, 0.00247565191f, 14.000001f, 30.f, 2.12692809f, 18.f, 16.5f, 0.0181499608f, 0.f, 6.00033522f}},
      {"bce_with_logits_sum", "F.binary_cross_entropy_with_logits(A, T, reduction='sum')", [&] { return nn::functional::binary_cross_entropy_with_logits(A, T, Reduction::Sum); }, {}, {11.5278282f}},
  };
  // clang-format on
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.name) + ": " + row.torch);
    const Tensor got = row.f();
    ASSERT_EQ(got.sizes(), row.shape);
    ASSERT_EQ(got.dtype(), DType::Float32);
    const std::vector<float> values = got.to_vector<float>();
    ASSERT_EQ(values.size(), row.expected.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_NEAR(values[i], row.expected[i], 1e-6 + 2e-6 * std::fabs(row.expected[i])) << "element " << i;
    }
  }
}

// Integer results of the same ops (torch.int64 in PyTorch).
TEST(OpValues, IntegerResults) {
  const Tensor A = tensor({{0.5f, -1.2f, 2.0f, 0.3f}, {-0.7f, 1.5f, -0.1f, 0.9f}, {1.1f, 0.2f, -2.3f, -0.4f}});
  EXPECT_EQ(A.argmax().item<std::int64_t>(), 2);                                              // A.argmax()
  EXPECT_EQ(A.argmax(1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 0}));     // A.argmax(1)
  EXPECT_EQ(A.argmax(0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 0, 1}));  // A.argmax(0)
  EXPECT_EQ(sum(A > zeros({})).item<std::int64_t>(), 7);                                      // (A > 0).sum()
}

// ReLU's special values, the same through the op, the affine layer's fused epilogue and the
// fused two-layer kernel (they share relu_of's definition on the float's bits): below +0 and
// −0 give +0, +inf stays, a NaN keeps or loses itself by its sign bit.
TEST(OpValues, ReluOfSpecialValuesAgreesAcrossKernels) {
  ANN_SKIP_WITHOUT_FUSED(NarrowMlp);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {-1.5f, -0.f, 0.f, 2.5f, inf, -inf, nan, -nan, -1e-40f, 1e-40f};
  const std::vector<float> expected = {0.f, 0.f, 0.f, 2.5f, inf, 0.f, nan, 0.f, 0.f, 1e-40f};
  const auto n = static_cast<std::int64_t>(x.size());
  const Tensor column = from_vector(x, {n, 1});
  // relu(x · 1 + 0) as an affine layer with its epilogue, and as the first layer of a two-layer
  // net whose second layer is the identity (the kernel keeps the hidden activations for backward).
  nn::Sequential net{nn::Linear(1, 1), nn::ReLU(), nn::Linear(1, 1)};
  {
    NoGradGuard no_grad;
    for (const std::int64_t layer : {0, 2}) {
      net.at<nn::Linear>(layer).weight.set<float>({0, 0}, 1.f);
      net.at<nn::Linear>(layer).bias.set<float>({0}, 0.f);
    }
  }
  const Tensor fused_two_layer = net(column);
  ASSERT_EQ(fused_two_layer.grad_fn_name(), "narrow_mlp");
  const Tensor& weight = net.at<nn::Linear>(0).weight;
  const Tensor& bias = net.at<nn::Linear>(0).bias;
  const std::vector<std::vector<float>> results = {
      relu(column).to_vector<float>(), linear(column, weight, bias, Activation::ReLU).to_vector<float>(),
      fused_two_layer.to_vector<float>()};
  for (std::size_t k = 0; k < results.size(); ++k) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float got = results[k][i];
      if (std::isnan(expected[i])) {
        EXPECT_TRUE(std::isnan(got)) << "path " << k << ", x = " << x[i];
      } else {
        EXPECT_EQ(got, expected[i]) << "path " << k << ", x = " << x[i];
        EXPECT_FALSE(std::signbit(got)) << "path " << k << ", x = " << x[i];
      }
    }
  }
}

}  // namespace

// The fused squared error (one pass keeping the difference) against the ops it replaces, bit
// for bit, on a length that leaves a remainder after the kernel's eight running sums; a
// transposed (non-contiguous) input; and a non-float input refused by name.
TEST(OpValues, MseLossIsTheMeanOfSquaredDifferences) {
  manual_seed(7);
  const Tensor a = randn({1003}), b = randn({1003});
  const Tensor d = a - b;
  EXPECT_EQ(nn::functional::mse_loss(a, b).item(), mean(d * d).item());
  EXPECT_EQ(nn::functional::mse_loss(a, b, Reduction::Sum).item(), sum(d * d).item());

  // A transposed input (not contiguous) against the ops on it, with its gradient.
  Tensor A = randn({4, 3}).requires_grad_();
  const Tensor B = randn({3, 4});
  const Tensor At = A.t(), At_again = A.t();  // a graph each: each loss goes backward once
  const Tensor by_ops = mean((At - B) * (At - B));
  const Tensor fused = nn::functional::mse_loss(At_again, B);
  EXPECT_EQ(fused.item(), by_ops.item());
  fused.backward();
  const Tensor g_fused = A.grad().clone();
  A.zero_grad();
  by_ops.backward();
  const Tensor g_ops = A.grad();
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 3; ++j) EXPECT_NEAR(g_fused.at<float>({i, j}), g_ops.at<float>({i, j}), 1e-6f);

  try {
    nn::functional::mse_loss(zeros({3}, TensorOptions().dtype(DType::Int64)), zeros({3}, TensorOptions().dtype(DType::Int64)));
    FAIL() << "an int64 input was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mse_loss"), std::string::npos) << e.what();
  }
}

// A tensor times a number (one pass, no 0-d tensor) against the broadcast product with a
// tensor of that number: the same floats, special values included, either operand order; an
// integer tensor times a number is float, as before.
TEST(OpValues, TensorTimesNumberIsTheBroadcastProduct) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x = tensor({1.5f, -0.f, inf, -3e38f, 1e-45f, std::nanf(""), 7.f});
  for (const float c : {2.5f, -0.f, 0.f, 1e10f, -inf}) {
    const Tensor by_number = x * c, number_first = c * x, by_tensor = mul(x, full({7}, c));
    for (std::int64_t i = 0; i < 7; ++i) {
      const float want = by_tensor.at<float>({i});
      for (const Tensor& got : {by_number, number_first}) {
        const float v = got.at<float>({i});
        EXPECT_TRUE(std::isnan(want) ? std::isnan(v) : std::bit_cast<std::uint32_t>(v) == std::bit_cast<std::uint32_t>(want))
            << "x = " << x.at<float>({i}) << ", c = " << c << ": " << v << " against " << want;
      }
    }
  }
  const Tensor ints = arange(4, TensorOptions().dtype(DType::Int64)) * 0.5f;
  EXPECT_EQ(ints.dtype(), DType::Float32);
  EXPECT_EQ(ints.at<float>({3}), 1.5f);
}

// Counting the true values of a bool tensor (an accuracy's hits): lengths around the vector
// widths and an uneven tail, against a count by hand.
TEST(OpValues, SumOfBoolsCountsTheTrueOnes) {
  for (const std::int64_t n : {1, 15, 16, 17, 63, 64, 100, 3001}) {
    std::vector<float> v(static_cast<std::size_t>(n));
    std::int64_t expected = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      v[static_cast<std::size_t>(i)] = static_cast<float>((i * 7) % 5);
      expected += (i * 7) % 5 == 2;
    }
    const Tensor hits = from_vector(v, {n}) == full({n}, 2.f);
    ASSERT_EQ(hits.dtype(), DType::Bool);
    const Tensor count = sum(hits);
    EXPECT_EQ(count.dtype(), DType::Int64);
    EXPECT_EQ(count.item<std::int64_t>(), expected) << "n = " << n;
  }
}

namespace {

// torch.maximum / minimum: NaN wins, and a tie splits the gradient in half.
TEST(OpValues, MaximumMinimumKeepNaNAndSplitTies) {
  using namespace ann;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = tensor({1.f, 5.f, nan, 2.f}).requires_grad_(), b = tensor({3.f, 4.f, 0.f, 2.f}).requires_grad_();
  const std::vector<float> mx = maximum(a, b).to_vector<float>(), mn = minimum(a, b).to_vector<float>();
  EXPECT_EQ(mx[0], 3.f);
  EXPECT_EQ(mx[1], 5.f);
  EXPECT_TRUE(std::isnan(mx[2]));
  EXPECT_EQ(mn[0], 1.f);
  EXPECT_TRUE(std::isnan(mn[2]));
  maximum(a, b).sum().backward();
  EXPECT_EQ(a.grad().at({3}), 0.5f);
  EXPECT_EQ(b.grad().at({3}), 0.5f);
  EXPECT_EQ(a.grad().at({1}), 1.f);
  EXPECT_EQ(b.grad().at({1}), 0.f);
}

}  // namespace

namespace {

// As libtorch, max(dim) and min(dim) return (values, indices): the indices are int64, of the
// first extremum, keepdim-shaped like the values.
TEST(Reductions, MaxAndMinAlongADimGiveValuesAndIndices) {
  using namespace ann;
  const Tensor A = tensor({{0.5f, -1.2f, 2.0f, 0.3f}, {-0.7f, 1.5f, -0.1f, 0.9f}, {1.1f, 0.2f, -2.3f, -0.4f}});
  const auto [values, indices] = A.max(1);
  EXPECT_EQ(indices.dtype(), DType::Int64);
  EXPECT_EQ(indices.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 0}));
  EXPECT_EQ(values.to_vector<float>(), (std::vector<float>{2.0f, 1.5f, 1.1f}));
  const auto [low, where] = min(A, 0, /*keepdim=*/true);
  EXPECT_EQ(where.sizes(), (Shape{1, 4}));
  EXPECT_EQ(where.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 2, 2}));
  EXPECT_EQ(low.sizes(), (Shape{1, 4}));
  const Tensor ties = tensor({3.f, 7.f, 7.f, 1.f});
  EXPECT_EQ(std::get<1>(ties.max(0)).item<std::int64_t>(), 1) << "the first of equal maxima";
}

}  // namespace

namespace {

// Values from PyTorch 1.13 for the same expressions (printed with 9 significant digits).
TEST(MoreOps, ArgminLogsumexpNormOuterRepeatEyeAsTorch) {
  using namespace ann;
  const Tensor A = tensor({{0.5f, -1.2f, 2.0f, 0.3f}, {-0.7f, 1.5f, -0.1f, 0.9f}, {1.1f, 0.2f, -2.3f, -0.4f}});
  EXPECT_EQ(argmin(A, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 2}));  // A.argmin(1)
  const std::vector<float> lse = logsumexp(A, 1).to_vector<float>();                      // torch.logsumexp(A, 1)
  const std::vector<float> want{2.36919928f, 2.12138867f, 1.60866714f};
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(lse[i], want[i], 2e-7f) << i;
  EXPECT_EQ(logsumexp(A, 0, true).sizes(), (Shape{1, 4}));
  EXPECT_NEAR(logsumexp(A, 0, true).at<float>({0, 2}), 2.12753534f, 2e-7f);
  EXPECT_NEAR(norm(A).item(), 4.00499678f, 1e-6f);                                        // A.norm()
  EXPECT_NEAR(norm(A, 2, {1}).at<float>({2}), 2.58843589f, 1e-6f);                        // A.norm(dim=1)
  // A row of −inf gives −inf, and a large row does not overflow.
  const Tensor edge = tensor({{-INFINITY, -INFINITY}, {1000.f, 1000.f}});
  EXPECT_EQ(logsumexp(edge, 1).at<float>({0}), -INFINITY);
  EXPECT_NEAR(logsumexp(edge, 1).at<float>({1}), 1000.f + std::log(2.f), 1e-3f);
  EXPECT_EQ(outer(tensor({1.f, 2.f, 3.f}), tensor({0.5f, -1.f})).to_vector<float>(),
            (std::vector<float>{0.5f, -1.f, 1.f, -2.f, 1.5f, -3.f}));
  EXPECT_EQ(dot(tensor({1.f, 2.f, 3.f}), tensor({0.5f, -1.f, 2.f})).item(), 4.5f);
  EXPECT_EQ(tensor({1.f, 2.f}).dot(tensor({3.f, 4.f})).sizes(), (Shape{}));
  EXPECT_THROW(dot(tensor({1.f, 2.f}), tensor({1.f, 2.f, 3.f})), ShapeError);
  EXPECT_THROW(dot(ones({2, 2}), ones({2, 2})), ShapeError);
  const Tensor x = tensor({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ(x.repeat({2, 3}).sizes(), (Shape{4, 6}));
  EXPECT_EQ(x.repeat({2, 3}).to_vector<float>(),
            (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  EXPECT_EQ(x.repeat({2, 1, 2}).to_vector<float>(), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_THROW(x.repeat({2}), ShapeError);
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(2).dtype(), DType::Float32);  // libtorch's default dtype
  EXPECT_EQ(eye(3, -1, TensorOptions().dtype(DType::Int64)).sum().item<std::int64_t>(), 3);
}

// A large float32 product (oneDNN's) reads and makes subnormals as zeros; a small one (OpenBLAS's,
// which rounds as PyTorch's) keeps them, as PyTorch does; and the threads that ran either make
// subnormals again after (src/backend/cpu/gemm.cpp).
TEST(Matmul, SubnormalsAreZerosInLargeFloatProductsOnly) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the CPU's libraries";
  const int before = get_num_threads();
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    const float tiny = 0x1p-130f;  // subnormal
    const Tensor large = matmul(full({256, 256}, tiny), eye(256));
    EXPECT_EQ(sum(large == 0.f).item<std::int64_t>(), 256 * 256) << threads << " threads";
    const Tensor small = matmul(full({4, 4}, tiny), eye(4));
    EXPECT_EQ(small.to_vector<float>(), std::vector<float>(16, tiny)) << threads << " threads";
    const Tensor after = full({1 << 17}, tiny) * 0.5f;
    EXPECT_EQ(sum(after == 0.f).item<std::int64_t>(), 0) << threads << " threads";
  }
  set_num_threads(before);
}

// Matrix products of drawn shapes (1–700 each way, up to 3·10⁷ multiply-adds), each operand maybe
// a transposed view: C = A·B and, through the engine, dA = G·Bᵀ and dB = Aᵀ·G for L = Σ C ⊙ G,
// against sums in double. Whichever kernel the product takes for that shape (the libraries, the
// skinny kernel, split among threads or not), each value is within float rounding of the sum
// of its terms' magnitudes.
TEST(Matmul, DrawnShapesAsDoubleSums) {
  std::mt19937 draw(51);
  // out[i, j] = Σ_k a[i, k] b[k, j] in double, and the sum of the terms' magnitudes
  auto reference = [](const std::vector<float>& a, const std::vector<float>& b, std::int64_t M, std::int64_t K,
                      std::int64_t N, std::vector<double>& out, std::vector<double>& scale) {
    out.assign(static_cast<std::size_t>(M * N), 0.0);
    scale.assign(out.size(), 0.0);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t k = 0; k < K; ++k) {
        const double x = a[static_cast<std::size_t>(i * K + k)];
        for (std::int64_t j = 0; j < N; ++j) {
          const double term = x * b[static_cast<std::size_t>(k * N + j)];
          out[static_cast<std::size_t>(i * N + j)] += term;
          scale[static_cast<std::size_t>(i * N + j)] += std::fabs(term);
        }
      }
  };
  auto expect_close = [](const Tensor& got, const std::vector<double>& want, const std::vector<double>& scale,
                         const std::string& what) {
    const std::vector<float> v = got.contiguous().to_vector<float>();
    ASSERT_EQ(v.size(), want.size()) << what;
    for (std::size_t i = 0; i < v.size(); ++i)
      ASSERT_NEAR(v[i], want[i], 1e-5 * scale[i] + 1e-30) << what << " element " << i;
  };
  for (int trial = 0; trial < 30; ++trial) {
    std::int64_t M = ann::testing::log_uniform(draw, 700), K = ann::testing::log_uniform(draw, 700),
                 N = ann::testing::log_uniform(draw, 700);
    while (M * K * N > 30'000'000) M = std::max<std::int64_t>(1, M / 2);
    const bool a_transposed = draw() % 2 == 0, b_transposed = draw() % 2 == 0;
    const std::string what = std::to_string(M) + "x" + std::to_string(K) + " · " + std::to_string(K) + "x" +
                             std::to_string(N) + (a_transposed ? ", A a transposed view" : "") +
                             (b_transposed ? ", B a transposed view" : "");
    manual_seed(static_cast<std::uint64_t>(60 + trial));
    const Tensor A = (a_transposed ? randn({K, M}).t() : randn({M, K})).requires_grad_();
    const Tensor B = (b_transposed ? randn({N, K}).t() : randn({K, N})).requires_grad_();
    const Tensor G = randn({M, N});
    const Tensor C = matmul(A, B);
    (C * G).sum().backward();
    const std::vector<float> a = A.detach().contiguous().to_vector<float>(), b = B.detach().contiguous().to_vector<float>(),
                             g = G.to_vector<float>();
    std::vector<double> want, scale;
    reference(a, b, M, K, N, want, scale);
    expect_close(C, want, scale, what + ": C");
    reference(g, B.detach().t().contiguous().to_vector<float>(), M, N, K, want, scale);
    expect_close(A.grad(), want, scale, what + ": dA");
    reference(A.detach().t().contiguous().to_vector<float>(), g, K, M, N, want, scale);
    expect_close(B.grad(), want, scale, what + ": dB");
  }
}

// Reductions and softargmax along a drawn dimension of drawn shapes (1–4 dimensions, one of them
// up to 300 long), read through a permuted and maybe narrowed view, so that every stride and
// vector remainder of the kernels meets a sum in double: sum, mean, max and its indices,
// logsumexp, softmax, log_softmax and cumsum.
TEST(Reductions, DrawnShapesViewsAndDimensionsAsDoubleSums) {
  std::mt19937 draw(61);
  for (int trial = 0; trial < 40; ++trial) {
    const int dims = 1 + static_cast<int>(draw() % 4);
    Shape sizes(static_cast<std::size_t>(dims));
    for (auto& n : sizes) n = 1 + static_cast<std::int64_t>(draw() % 17);
    sizes[draw() % sizes.size()] = 1 + static_cast<std::int64_t>(draw() % 300);
    Shape order(sizes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    std::shuffle(order.begin(), order.end(), draw);
    manual_seed(static_cast<std::uint64_t>(80 + trial));
    Tensor x = (randn(sizes) * 3.0).permute(order);
    if (x.size(0) > 2 && draw() % 2 == 0) x = x.narrow(0, 1, x.size(0) - 2);
    const std::int64_t dim = static_cast<std::int64_t>(draw() % static_cast<unsigned>(dims));
    const Shape shape = x.sizes();
    std::string what = "shape";
    for (auto n : shape) what += ' ' + std::to_string(n);
    what += ", dim " + std::to_string(dim);

    // the view's values in its logical order; runs of `n` along dim, `inner` apart
    const std::vector<float> v = x.contiguous().to_vector<float>();
    const std::int64_t n = shape[static_cast<std::size_t>(dim)];
    std::int64_t inner = 1;
    for (std::size_t d = static_cast<std::size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
    const std::int64_t outer = static_cast<std::int64_t>(v.size()) / std::max<std::int64_t>(1, n * inner);
    auto at = [&](std::int64_t o, std::int64_t k, std::int64_t i) { return static_cast<double>(v[static_cast<std::size_t>((o * n + k) * inner + i)]); };

    const std::vector<float> sums = sum(x, dim).to_vector<float>(), means = mean(x, dim).to_vector<float>(),
                             lse = logsumexp(x, dim).to_vector<float>();
    const auto [max_values, max_indices] = max(x, dim);
    const std::vector<float> maxima = max_values.to_vector<float>();
    const std::vector<std::int64_t> argmaxima = max_indices.to_vector<std::int64_t>();
    const std::vector<float> soft = softmax(x, dim).contiguous().to_vector<float>(),
                             log_soft = log_softmax(x, dim).contiguous().to_vector<float>(),
                             running = cumsum(x, dim).contiguous().to_vector<float>();
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const auto r = static_cast<std::size_t>(o * inner + i);
        double total = 0, magnitude = 0, largest = -INFINITY;
        std::int64_t first_largest = 0;
        for (std::int64_t k = 0; k < n; ++k) {
          total += at(o, k, i);
          magnitude += std::fabs(at(o, k, i));
          if (at(o, k, i) > largest) largest = at(o, k, i), first_largest = k;
          const auto e = static_cast<std::size_t>((o * n + k) * inner + i);
          ASSERT_NEAR(running[e], total, 1e-5 * magnitude + 1e-30) << what << ": cumsum";
        }
        double exp_sum = 0;
        for (std::int64_t k = 0; k < n; ++k) exp_sum += std::exp(at(o, k, i) - largest);
        const double log_sum = largest + std::log(exp_sum);
        ASSERT_NEAR(sums[r], total, 1e-5 * magnitude + 1e-30) << what << ": sum";
        ASSERT_NEAR(means[r], total / static_cast<double>(n), 1e-5 * magnitude / static_cast<double>(n) + 1e-30) << what << ": mean";
        ASSERT_EQ(maxima[r], static_cast<float>(largest)) << what << ": max";
        ASSERT_EQ(argmaxima[r], first_largest) << what << ": max's index";
        ASSERT_NEAR(lse[r], log_sum, 1e-5 * (1 + std::fabs(log_sum))) << what << ": logsumexp";
        for (std::int64_t k = 0; k < n; ++k) {
          const auto e = static_cast<std::size_t>((o * n + k) * inner + i);
          const double p = std::exp(at(o, k, i) - log_sum);
          ASSERT_NEAR(soft[e], p, 1e-6 + 1e-5 * p) << what << ": softmax";
          ASSERT_NEAR(log_soft[e], at(o, k, i) - log_sum, 1e-5 * (1 + std::fabs(at(o, k, i) - log_sum))) << what << ": log_softmax";
        }
      }
    }
  }
}

}  // namespace
