#pragma once
// The lesson's multi-layer perceptrons in model files (part of ann::lesson, not of the core
// library): metadata that describes make_mlp's network, so that a model file alone rebuilds it.
//
//   ann::save(model, "spiral.safetensors", ann::describe_mlp(2, 100, 1, 3, Activation::ReLU));
//   nn::Sequential again = ann::load_mlp("spiral.safetensors");   // architecture from the file
#include <cstdint>
#include <filesystem>

#include "ann/lesson.h"
#include "ann/nn/sequential.h"
#include "ann/serialize.h"

namespace ann {

/// Metadata that describes lesson::make_mlp(in, hidden, layers, out, activation):
/// "ann.arch" = "mlp", "ann.in", "ann.hidden", "ann.layers", "ann.out", "ann.activation"
/// (decimal integers; the activation as lesson::to_string spells it). Throws ValueError for
/// what build_mlp_from_metadata would refuse (sizes < 1, more than 2^28 parameters).
Metadata describe_mlp(std::int64_t in, std::int64_t hidden, std::int64_t layers, std::int64_t out,
                      lesson::Activation activation);

/// Builds the model that describe_mlp's metadata describes, with make_mlp. Its initial weights
/// are drawn from the global generator, whose state is restored afterwards (building a model
/// to load weights into should not shift the random stream). Throws ValueError naming the
/// missing or malformed key, or sizes too large to be a real model (> 2^28 parameters).
nn::Sequential build_mlp_from_metadata(const Metadata& metadata);

/// build_mlp_from_metadata(the file's metadata) then load(): the model from the file alone.
/// The file's tensor shapes are checked against the architecture before the model is built.
nn::Sequential load_mlp(const std::filesystem::path& path);

/// The architecture (ann::describe's "ann.sequential") of a model file's metadata: its own, or
/// the one describe_mlp's keys name; for load_model(file, architecture, source), which then
/// reads any of ann's model files. Throws ValueError, prefixed by `op`, when it has neither.
Metadata model_architecture(const Metadata& metadata, const std::string& op);

}  // namespace ann
