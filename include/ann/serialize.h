#pragma once
// Saving and loading tensors, models and training checkpoints as .safetensors files — the
// format PyTorch users load with safetensors.torch.load_file, so a model trained here loads
// into the equivalent torch.nn.Sequential with load_state_dict, and the other way round.
//
//   ann::save(model, "model.safetensors");
//   ann::load(model, "model.safetensors");   // into a model of the same architecture
//
//   ann::save_checkpoint("run.ckpt", model, optimizer, ann::default_generator().state(), epoch);
//   ann::Checkpoint c = ann::load_checkpoint("run.ckpt", model, optimizer);   // resume
//   ann::default_generator().set_state(c.generator);
//
// Every file is written with io::write_file_atomic: a crash leaves the old file or the new,
// never half of one. Loading checks everything a file claims against what it holds and throws
// ann::IOError naming the file and the problem for a corrupt one; where the file is fine but
// does not fit the model or optimizer, ValueError / ShapeError / TypeError. A failed load
// leaves the model and optimizer untouched.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ann/generator.h"
#include "ann/nn/module.h"
#include "ann/nn/sequential.h"
#include "ann/optim/lr_scheduler.h"
#include "ann/optim/optimizer.h"
#include "ann/tensor.h"

namespace ann {

using Metadata = std::map<std::string, std::string>;

// ---- tensors -----------------------------------------------------------------------------------

/// The contents of a .safetensors file.
struct TensorFile {
  std::map<std::string, Tensor> tensors;  ///< contiguous CPU tensors with their own storage
  Metadata metadata;                      ///< the "__metadata__" strings
};

/// Writes named tensors (float32, int64 or bool; views are fine) and string metadata.
/// Throws ValueError for duplicate names, the reserved name "__metadata__" or an undefined
/// tensor; IOError when the file cannot be written.
void save_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::filesystem::path& path,
                  const Metadata& metadata = {});

/// Reads every tensor of a file (dtypes F32, I64, BOOL). Throws IOError naming the file and the
/// problem for a missing, truncated, corrupt or hostile file, or an unsupported dtype.
TensorFile load_tensors(const std::filesystem::path& path);

// ---- models ------------------------------------------------------------------------------------

/// Saves the model's state_dict — parameters and buffers under their names ("0.weight",
/// "0.bias", "1.running_mean", ...), plus `metadata` and {"format": "pt"} (what torch loaders expect).
void save(const nn::Module& model, const std::filesystem::path& path, const Metadata& metadata = {});

/// Copies a file's tensors into the model's existing parameters and buffers (in place, so an optimizer
/// holding them sees the new values). Every parameter must be in the file with the model's
/// shape (ShapeError naming the tensor and both shapes) and dtype (TypeError); tensors the model
/// lacks are a ValueError listing them — except, in a checkpoint, its optimizer and generator
/// tensors, so load() also takes the model out of a checkpoint file.
void load(nn::Module& model, const std::filesystem::path& path);

/// Metadata that describes a Sequential's architecture, so that the file alone rebuilds it:
/// "ann.sequential", per module its class name and its extra_repr(). Save it with the model:
///   ann::save(model, path, ann::describe(model));   nn::Sequential again = ann::load_model(path);
/// Rebuilds Linear, LayerNorm, BatchNorm1d, Dropout, the activations (ReLU, Tanh, Sigmoid, LeakyReLU, ELU,
/// GELU, SiLU, Softplus), Identity, Softmax and LogSoftmax; throws ValueError
/// naming the first module it could not rebuild.
Metadata describe(const nn::Sequential& model);

/// The Sequential that describe()'s metadata describes, its weights drawn from the global
/// generator, whose state is restored afterwards (building a model to load weights into should
/// not shift the random stream). Throws ValueError naming the missing or malformed entry, or an
/// architecture too large to be a real model (> 2^28 parameters).
nn::Sequential build_from_metadata(const Metadata& metadata);

/// build_from_metadata(the file's metadata) then load(): the model from the file alone. The
/// architecture's parameter count is checked against the file's values before it is built.
nn::Sequential load_model(const std::filesystem::path& path);

/// The same for a file already read whose architecture comes from elsewhere (another format's
/// metadata, or the caller's knowledge): `architecture` holds "ann.sequential"; `source` names
/// the file in errors.
nn::Sequential load_model(const TensorFile& file, const Metadata& architecture, const std::string& source);

// ---- training checkpoints ----------------------------------------------------------------------

/// What a checkpoint holds besides the model and optimizer state.
struct Checkpoint {
  std::int64_t epoch = 0;      ///< as given to save_checkpoint (e.g. epochs completed)
  Generator::State generator;  ///< bit-exact, cached normal sample included
  Metadata metadata;           ///< every metadata string of the file, "ann.*" keys included
};

/// Saves, in one file: the model's parameters (state_dict names); the optimizer's state_dict,
/// parameter i's fields as "optim.<i>.<field>" (SGD: momentum_buffer; Adam, AdamW: step as I64,
/// exp_avg, exp_avg_sq), i indexing optimizer.parameters(); the generator's MT words as
/// "generator.mt" (I64 [624]); and in metadata "ann.kind" = "checkpoint", "ann.epoch",
/// "ann.optimizer" (the optimizer's kind()), its hyper-parameters as "ann.optimizer.<name>",
/// the generator's index, seed and cached normal, plus `metadata`. Any optimizer saves: it
/// describes its own state (optim::Optimizer::state_dict). Throws ValueError for a metadata key
/// that collides with those.
void save_checkpoint(const std::filesystem::path& path, const nn::Module& model, const optim::Optimizer& optimizer,
                     const Generator::State& generator, std::int64_t epoch, const Metadata& metadata = {});

/// Restores the model's parameters and the optimizer's state from save_checkpoint's file and
/// returns the rest. The optimizer must be of the saved kind with as many parameters
/// (ValueError otherwise); a state it refuses (optim::Optimizer::check_state_dict) is a corrupt
/// file (IOError); the hyper-parameters are the optimizer object's own, so a resumed run may
/// change them. Nothing is modified unless every check passes.
Checkpoint load_checkpoint(const std::filesystem::path& path, nn::Module& model, optim::Optimizer& optimizer);

/// A learning-rate scheduler's state_dict as checkpoint metadata, "ann.scheduler.<name>" each in
/// the shortest decimal text that reads back as the same double, so that a resumed schedule is
/// bit for bit the uninterrupted one:
///   ann::save_checkpoint(path, model, optimizer, generator, epoch, ann::scheduler_metadata(scheduler.state_dict()));
///   scheduler.load_state_dict(ann::scheduler_state(ann::load_checkpoint(path, model, optimizer).metadata));
Metadata scheduler_metadata(const optim::SchedulerState& state);
/// The state scheduler_metadata wrote; ValueError naming the key for a value that is not a
/// number, or when there is none.
optim::SchedulerState scheduler_state(const Metadata& metadata);

}  // namespace ann
