// Training checkpoints: model + optimizer state + generator state + epoch in one safetensors
// file, so that a resumed run continues bit for bit where the saved one stopped.
//
// Layout (names as documented in ann/serialize.h):
//   tensors   <state_dict names>            the model's parameters
//             optim.<i>.momentum_buffer     SGD, once created (first step with momentum)
//             optim.<i>.step                Adam/AdamW, I64 scalar, present once > 0,
//             optim.<i>.exp_avg/_sq         with the two moments
//             generator.mt                  I64 [624], the MT19937 words (each < 2^32)
//   metadata  ann.kind = checkpoint, ann.epoch, ann.optimizer (sgd|adam|adamw),
//             ann.optimizer.parameters (count), ann.optimizer.<hyper-parameter> (informative),
//             ann.generator.index, ann.generator.seed (decimal uint64),
//             ann.generator.next_normal ("none" or the shortest decimal that round-trips)
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "ann/error.h"
#include "ann/optim/adam.h"
#include "ann/optim/sgd.h"
#include "ann/serialize.h"
#include "io/safetensors.h"

namespace ann {

namespace st = io::safetensors;

namespace {

const std::string kEpochKey = "ann.epoch";
const std::string kOptimizerKey = "ann.optimizer";
const std::string kCountKey = "ann.optimizer.parameters";
const std::string kIndexKey = "ann.generator.index";
const std::string kSeedKey = "ann.generator.seed";
const std::string kNormalKey = "ann.generator.next_normal";
const std::string kMtName = "generator.mt";

std::string optim_name(std::size_t i, const char* field) {
  return std::string(st::kOptimizerPrefix) + std::to_string(i) + "." + field;
}

// Shortest decimal text that parses back to the same double (std::to_chars' guarantee).
std::string exact(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string_view kind_of(const optim::Optimizer& optimizer) {
  if (dynamic_cast<const optim::AdamW*>(&optimizer)) return "adamw";
  if (dynamic_cast<const optim::Adam*>(&optimizer)) return "adam";
  if (dynamic_cast<const optim::SGD*>(&optimizer)) return "sgd";
  return {};
}

// ---- saving ----------------------------------------------------------------------------------

void add_optimizer(const optim::Optimizer& optimizer, std::vector<std::pair<std::string, Tensor>>& tensors,
                   Metadata& metadata) {
  if (const auto* adam = dynamic_cast<const optim::Adam*>(&optimizer)) {
    const optim::AdamOptions& o = adam->options();
    metadata.insert({{"ann.optimizer.lr", exact(o.lr)},
                     {"ann.optimizer.beta1", exact(o.beta1)},
                     {"ann.optimizer.beta2", exact(o.beta2)},
                     {"ann.optimizer.eps", exact(o.eps)},
                     {"ann.optimizer.weight_decay", exact(o.weight_decay)}});
    for (std::size_t i = 0; i < adam->state().size(); ++i) {
      const optim::AdamParamState& s = adam->state()[i];
      if (s.step == 0) continue;  // no update yet: nothing to restore
      tensors.emplace_back(optim_name(i, "step"), from_vector(std::vector<std::int64_t>{s.step}, {}));
      tensors.emplace_back(optim_name(i, "exp_avg"), s.exp_avg);
      tensors.emplace_back(optim_name(i, "exp_avg_sq"), s.exp_avg_sq);
    }
  } else if (const auto* sgd = dynamic_cast<const optim::SGD*>(&optimizer)) {
    const optim::SGDOptions& o = sgd->options();
    metadata.insert({{"ann.optimizer.lr", exact(o.lr)},
                     {"ann.optimizer.momentum", exact(o.momentum)},
                     {"ann.optimizer.dampening", exact(o.dampening)},
                     {"ann.optimizer.weight_decay", exact(o.weight_decay)},
                     {"ann.optimizer.nesterov", o.nesterov ? "true" : "false"}});
    for (std::size_t i = 0; i < sgd->state().size(); ++i) {
      const Tensor& buffer = sgd->state()[i].momentum_buffer;
      if (buffer.defined()) tensors.emplace_back(optim_name(i, "momentum_buffer"), buffer);
    }
  }
}

void add_generator(const Generator::State& g, std::vector<std::pair<std::string, Tensor>>& tensors,
                   Metadata& metadata) {
  tensors.emplace_back(kMtName, from_vector(std::vector<std::int64_t>(g.mt.begin(), g.mt.end()),
                                            {static_cast<std::int64_t>(Generator::kStateWords)}));
  metadata[kIndexKey] = std::to_string(g.index);
  metadata[kSeedKey] = std::to_string(g.seed);
  metadata[kNormalKey] = g.next_normal ? exact(*g.next_normal) : "none";
}

// ---- loading ---------------------------------------------------------------------------------

// Reads the file's own metadata and tensors; a malformed value means a corrupt file: IOError.
class Reader {
 public:
  Reader(const TensorFile& file, std::string source) : file_(file), prefix_("load_checkpoint: " + source + ": ") {}

  IOError corrupt(const std::string& what) const { return IOError(prefix_ + what); }
  ValueError mismatch(const std::string& what) const { return ValueError(prefix_ + what); }

  const std::string& text(const std::string& key) const {
    const auto it = file_.metadata.find(key);
    if (it == file_.metadata.end()) throw corrupt("metadata lacks \"" + key + "\"");
    return it->second;
  }

  template <class Int>
  Int integer(const std::string& key, Int min, Int max) const {
    const std::string& s = text(key);
    Int value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
      throw corrupt("metadata \"" + key + "\" is \"" + st::shorten(s) + "\", not an integer in [" +
                    std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return value;
  }

  // The tensor `name`, checked to be `dtype` with `shape`; nullptr when absent and optional.
  const Tensor* tensor(const std::string& name, DType dtype, const Shape& shape, bool required) const {
    const auto it = file_.tensors.find(name);
    if (it == file_.tensors.end()) {
      if (required) throw corrupt("tensor \"" + name + "\" is missing");
      return nullptr;
    }
    const Tensor& t = it->second;
    if (t.dtype() != dtype || t.sizes() != shape) {
      throw corrupt("tensor \"" + name + "\" is " + std::string(to_string(t.dtype())) + " " + to_string(t.sizes()) +
                    ", expected " + std::string(to_string(dtype)) + " " + to_string(shape));
    }
    return &t;
  }

  Generator::State generator() const {
    Generator::State g;
    const std::vector<std::int64_t> words =
        tensor(kMtName, DType::Int64, {static_cast<std::int64_t>(Generator::kStateWords)}, true)
            ->to_vector<std::int64_t>();
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] < 0 || words[i] > std::numeric_limits<std::uint32_t>::max()) {
        throw corrupt("tensor \"" + kMtName + "\" word " + std::to_string(i) + " is " + std::to_string(words[i]) +
                      ", not a 32-bit value");
      }
      g.mt[i] = static_cast<std::uint32_t>(words[i]);
    }
    g.index = integer<std::uint32_t>(kIndexKey, 0, static_cast<std::uint32_t>(Generator::kStateWords));
    g.seed = integer<std::uint64_t>(kSeedKey, 0, std::numeric_limits<std::uint64_t>::max());
    const std::string& normal = text(kNormalKey);
    if (normal != "none") {
      double value = 0;
      const auto [end, ec] = std::from_chars(normal.data(), normal.data() + normal.size(), value);
      if (ec != std::errc() || end != normal.data() + normal.size()) {
        throw corrupt("metadata \"" + kNormalKey + "\" is \"" + st::shorten(normal) + "\", not a number or \"none\"");
      }
      g.next_normal = value;
    }
    return g;
  }

 private:
  const TensorFile& file_;
  std::string prefix_;
};

// The optimizer's new state, built and checked completely before it replaces the old one.
// Returns a function that installs it; names of the tensors used go to `used`.
std::function<void()> plan_optimizer(const Reader& r, optim::Optimizer& optimizer, std::set<std::string>& used) {
  const std::vector<Tensor>& params = optimizer.parameters();
  auto take = [&](std::size_t i, const char* field, DType dtype, const Shape& shape) -> const Tensor* {
    const std::string name = optim_name(i, field);
    const Tensor* t = r.tensor(name, dtype, shape, false);
    if (t) used.insert(name);
    return t;
  };
  if (auto* adam = dynamic_cast<optim::Adam*>(&optimizer)) {
    std::vector<optim::AdamParamState> state(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor* step = take(i, "step", DType::Int64, {});
      const Tensor* m = take(i, "exp_avg", DType::Float32, params[i].sizes());
      const Tensor* v = take(i, "exp_avg_sq", DType::Float32, params[i].sizes());
      if (!step && !m && !v) continue;  // this parameter had no update yet
      if (!step || !m || !v) {
        throw r.corrupt("parameter " + std::to_string(i) +
                        " has only part of its Adam state (step, exp_avg, exp_avg_sq)");
      }
      state[i].step = step->item<std::int64_t>();
      if (state[i].step < 1) {
        throw r.corrupt("tensor \"" + optim_name(i, "step") + "\" is " + std::to_string(state[i].step) + ", not >= 1");
      }
      state[i].exp_avg = m->to(params[i].device());
      state[i].exp_avg_sq = v->to(params[i].device());
    }
    return [adam, state = std::move(state)]() mutable { adam->state() = std::move(state); };
  }
  auto* sgd = dynamic_cast<optim::SGD*>(&optimizer);
  std::vector<optim::SGD::ParamState> state(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (const Tensor* b = take(i, "momentum_buffer", DType::Float32, params[i].sizes())) {
      state[i].momentum_buffer = b->to(params[i].device());
    }
  }
  return [sgd, state = std::move(state)]() mutable { sgd->state() = std::move(state); };
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const nn::Module& model, const optim::Optimizer& optimizer,
                     const Generator::State& generator, std::int64_t epoch, const Metadata& metadata) {
  const std::string_view kind = kind_of(optimizer);
  if (kind.empty()) {
    throw ValueError("save_checkpoint: " + path.string() + ": only SGD, Adam and AdamW optimizers can be saved");
  }
  std::vector<std::pair<std::string, Tensor>> tensors = model.named_parameters();
  Metadata own{{std::string(st::kKindKey), std::string(st::kCheckpointKind)},
               {kEpochKey, std::to_string(epoch)},
               {kOptimizerKey, std::string(kind)},
               {kCountKey, std::to_string(optimizer.parameters().size())},
               {"format", "pt"}};
  add_optimizer(optimizer, tensors, own);
  add_generator(generator, tensors, own);
  Metadata all = own;
  for (const auto& [key, value] : metadata) {
    if (own.contains(key)) {
      throw ValueError("save_checkpoint: " + path.string() + ": metadata key \"" + key +
                       "\" is reserved for the checkpoint itself");
    }
    all.emplace(key, value);
  }
  save_tensors(tensors, path, all);
}

Checkpoint load_checkpoint(const std::filesystem::path& path, nn::Module& model, optim::Optimizer& optimizer) {
  const std::string source = path.string();
  const TensorFile file = load_tensors(path);
  const Reader r(file, source);
  const auto kind = file.metadata.find(std::string(st::kKindKey));
  if (kind == file.metadata.end() || kind->second != st::kCheckpointKind) {
    throw r.mismatch(
        "not a checkpoint (no \"ann.kind\": \"checkpoint\" in its metadata; a model file loads with load())");
  }
  const std::string& saved_kind = r.text(kOptimizerKey);
  const std::string_view our_kind = kind_of(optimizer);
  if (our_kind.empty()) throw r.mismatch("only SGD, Adam and AdamW optimizers can be restored");
  if (saved_kind != our_kind) {
    throw r.mismatch("the checkpoint holds " + st::shorten(saved_kind) + " state but the optimizer is " +
                     std::string(our_kind));
  }
  const auto count = r.integer<std::size_t>(kCountKey, 0, std::numeric_limits<std::size_t>::max());
  if (count != optimizer.parameters().size()) {
    throw r.mismatch("the checkpoint's optimizer has " + std::to_string(count) + " parameters but this one has " +
                     std::to_string(optimizer.parameters().size()));
  }

  Checkpoint checkpoint;
  checkpoint.epoch = r.integer<std::int64_t>(kEpochKey, std::numeric_limits<std::int64_t>::min(),
                                             std::numeric_limits<std::int64_t>::max());
  checkpoint.generator = r.generator();
  checkpoint.metadata = file.metadata;

  std::set<std::string> used{kMtName};
  const std::function<void()> install_optimizer = plan_optimizer(r, optimizer, used);
  const auto copies = st::match_parameters(
      model, file, [&used](const std::string& name) { return used.contains(name); }, "load_checkpoint", source);

  // Every check has passed: only now is anything modified.
  st::copy_parameters(copies);
  install_optimizer();
  return checkpoint;
}

}  // namespace ann
