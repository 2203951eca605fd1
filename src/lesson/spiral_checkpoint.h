#pragma once
// The spiral run's checkpoints: save_checkpoint's file (model, optimizer, generator, epochs
// done) plus, in its metadata, the run's configuration ("spiral.<option>", to refuse resuming
// with another one) and the loss and accuracy curves so far ("spiral.loss", "spiral.accuracy",
// "spiral.seconds"), so that a resumed run's history covers the whole run.
#include <cstdint>
#include <filesystem>
#include <string>

#include "ann/lesson.h"

namespace ann::lesson::detail {

/// Writes the checkpoint every `every` epochs (0: never but at the end) and after the last.
class SpiralCheckpointWriter {
 public:
  /// `resumed` is the history a resumed run starts from; `on_disk` the epoch `path` already
  /// holds (a run resumed from its own checkpoint), -1 when none.
  SpiralCheckpointWriter(std::filesystem::path path, std::int64_t every, const SpiralConfig& config,
                         const History& resumed, std::int64_t on_disk);

  /// For TrainingControl::after_epoch: records the epoch's numbers, and writes when due.
  void after_epoch(const TrainingState& state);
  /// Writes the final state unless after_epoch already did (a resumed run with nothing left).
  void finish(const nn::Module& model, const optim::Optimizer& optimizer, const History& history);

  const std::filesystem::path& path() const { return path_; }
  /// The epoch the file on disk holds, -1 when none.
  std::int64_t on_disk() const { return on_disk_; }

 private:
  void append(float loss, float accuracy);
  void write(const nn::Module& model, const optim::Optimizer& optimizer, std::int64_t epochs_done, double seconds);

  std::filesystem::path path_;
  std::int64_t every_;
  std::int64_t epochs_;
  std::map<std::string, std::string> metadata_;  // the configuration's
  std::string loss_, accuracy_;                  // the curves as metadata text, grown per epoch
  std::int64_t recorded_ = 0;                    // epochs in loss_ and accuracy_
  std::int64_t on_disk_;
};

/// What resuming from a spiral checkpoint gives the training loop.
struct Resumed {
  std::int64_t epochs_done = 0;
  History history;
};

/// Restores `model` and `optimizer` (as built for `config`) and the global generator from a
/// checkpoint of `config`. Throws ValueError naming each option that differs, or when the
/// checkpoint has done more epochs than config.epochs; IOError for a corrupt file.
Resumed resume_spiral(const std::filesystem::path& path, const SpiralConfig& config, nn::Module& model,
                      optim::Optimizer& optimizer);

/// Removes the temporary files that killed writers of `target` left (write_file_atomic names
/// them "<target>.tmp-<pid>-<n>"): those whose process no longer runs. Best effort.
void remove_orphaned_temps(const std::filesystem::path& target);

}  // namespace ann::lesson::detail
