// Training checkpoints: model + optimizer state + generator state + epoch in one safetensors
// file, so that a resumed run continues bit for bit where the saved one stopped.
//
// Layout (names as documented in ann/serialize.h):
//   tensors   <state_dict names>            the model's parameters and buffers
//             optim.<i>.<field>             the optimizer's state_dict, parameter i's fields
//                                           (SGD: momentum_buffer; Adam/AdamW: step as an I64
//                                           scalar, exp_avg, exp_avg_sq), once it has them
//             generator.mt                  I64 [624], the MT19937 words (each < 2^32)
//   metadata  ann.kind = checkpoint, ann.epoch, ann.optimizer (its kind(): sgd|adam|adamw),
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
#include "ann/optim/optimizer.h"
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

std::string optim_name(std::size_t i, std::string_view field) {
  return std::string(st::kOptimizerPrefix) + std::to_string(i) + "." + std::string(field);
}

// Shortest decimal text that parses back to the same double (std::to_chars' guarantee).
std::string exact(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// ---- saving ----------------------------------------------------------------------------------

void add_optimizer(const optim::Optimizer& optimizer, std::vector<std::pair<std::string, Tensor>>& tensors,
                   Metadata& metadata) {
  const optim::OptimizerState state = optimizer.state_dict();
  for (const auto& [name, value] : state.hyper_parameters) metadata["ann.optimizer." + name] = exact(value);
  for (std::size_t i = 0; i < state.parameters.size(); ++i)
    for (const auto& [field, tensor] : state.parameters[i]) tensors.emplace_back(optim_name(i, field), tensor);
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

// The optimizer's state as the file holds it, checked by the optimizer itself (a check failing
// means a corrupt file); names of the tensors used go to `used`.
optim::OptimizerState read_optimizer(const Reader& r, const optim::Optimizer& optimizer, std::set<std::string>& used) {
  optim::OptimizerState state{.kind = std::string(optimizer.kind()),
                              .hyper_parameters = {},
                              .parameters = std::vector<std::map<std::string, Tensor>>(optimizer.parameters().size())};
  for (std::size_t i = 0; i < state.parameters.size(); ++i) {
    for (const optim::StateField& field : optimizer.state_fields(i)) {
      const std::string name = optim_name(i, field.name);
      if (const Tensor* t = r.tensor(name, field.dtype, field.shape, false)) {
        state.parameters[i][field.name] = *t;
        used.insert(name);
      }
    }
  }
  try {
    optimizer.check_state_dict(state);
  } catch (const ValueError& e) {
    throw r.corrupt(std::string("optimizer state: ") + e.what());
  }
  return state;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const nn::Module& model, const optim::Optimizer& optimizer,
                     const Generator::State& generator, std::int64_t epoch, const Metadata& metadata) {
  const std::string_view kind = optimizer.kind();
  std::vector<std::pair<std::string, Tensor>> tensors = model.state_dict();
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
  const std::string_view our_kind = optimizer.kind();
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
  const optim::OptimizerState optimizer_state = read_optimizer(r, optimizer, used);
  const auto copies = st::match_parameters(
      model, file, [&used](const std::string& name) { return used.contains(name); }, "load_checkpoint", source);

  // Every check has passed: only now is anything modified.
  st::copy_parameters(copies);
  optimizer.load_state_dict(optimizer_state);
  return checkpoint;
}

namespace {
const std::string kSchedulerPrefix = "ann.scheduler.";
}  // namespace

Metadata scheduler_metadata(const optim::SchedulerState& state) {
  Metadata metadata;
  for (const auto& [name, value] : state) metadata[kSchedulerPrefix + name] = exact(value);
  return metadata;
}

optim::SchedulerState scheduler_state(const Metadata& metadata) {
  optim::SchedulerState state;
  for (auto it = metadata.lower_bound(kSchedulerPrefix); it != metadata.end() && it->first.starts_with(kSchedulerPrefix); ++it) {
    const std::string& text = it->second;
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      throw ValueError("scheduler_state: \"" + it->first + "\" = \"" + st::shorten(text) + "\" is not a number");
    }
    state[it->first.substr(kSchedulerPrefix.size())] = value;
  }
  if (state.empty()) throw ValueError("scheduler_state: the metadata holds no \"" + kSchedulerPrefix + "*\" entries");
  return state;
}

}  // namespace ann
