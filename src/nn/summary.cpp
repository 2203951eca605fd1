#include "ann/nn/summary.h"

#include <cstdint>
#include <vector>

#include "ann/autograd.h"
#include "ann/nn/sequential.h"

namespace ann::nn {

namespace {

struct Row {
  std::string layer;  // "├─Linear: 1-1"
  Shape output;
  std::int64_t params;  // of this layer alone; -1 when it holds none ("--")
};

std::int64_t count(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::int64_t n = 0;
  for (const auto& [name, p] : named) n += p.numel();
  return n;
}

std::string pad(std::string s, std::size_t width) {
  // widths count characters, and the tree's box-drawing ones take 3 bytes each
  std::size_t shown = 0;
  for (unsigned char c : s) shown += (c & 0xC0) != 0x80;
  if (shown < width) s.append(width - shown, ' ');
  return s;
}

// Runs a Sequential's modules one by one (what its forward computes, fused or not), recording
// each; a nested Sequential adds its own rows one level deeper.
Tensor walk(Sequential& seq, const Tensor& x, int depth, std::vector<Row>& rows) {
  Tensor h = x;
  std::size_t index = 0;
  for (const auto& m : seq) {
    ++index;
    const std::string label = std::string(static_cast<std::size_t>(2 * (depth - 1)), ' ') + "\u251c\u2500" + m->name() +
                              ": " + std::to_string(depth) + "-" + std::to_string(index);
    const std::size_t at = rows.size();
    rows.push_back({label, {}, -1});
    if (auto* inner = dynamic_cast<Sequential*>(m.get())) {
      h = walk(*inner, h, depth + 1, rows);
    } else {
      h = m->forward(h);
      const std::int64_t n = count(m->named_parameters());
      rows[at].params = n > 0 ? n : -1;
    }
    rows[at].output = h.sizes();
  }
  return h;
}

}  // namespace

std::string summary(Module& model, const Shape& input_shape) {
  NoGradGuard no_grad;
  const Tensor x = zeros(input_shape);
  std::vector<Row> rows{{model.name(), {}, -1}};
  if (auto* seq = dynamic_cast<Sequential*>(&model)) {
    rows[0].output = walk(*seq, x, 1, rows).sizes();
  } else {
    rows[0].output = model.forward(x).sizes();
    rows[0].params = count(model.named_parameters());
  }
  const std::int64_t total = count(model.named_parameters());
  std::int64_t trainable = 0;
  for (const auto& [name, p] : model.named_parameters())
    if (p.requires_grad()) trainable += p.numel();

  const std::string rule(90, '=');
  std::string out = rule + "\n" + pad("Layer (type:depth-idx)", 41) + pad("Output Shape", 26) + "Param #\n" + rule + "\n";
  for (const Row& r : rows)
    out += pad(r.layer, 41) + pad(to_string(r.output), 26) + (r.params < 0 ? "--" : std::to_string(r.params)) + "\n";
  out += rule + "\nTotal params: " + std::to_string(total) + "\nTrainable params: " + std::to_string(trainable) +
         "\nNon-trainable params: " + std::to_string(total - trainable) + "\n" + rule + "\n";
  return out;
}

}  // namespace ann::nn
