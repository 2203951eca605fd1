// Spiral checkpoints: writing them as a run goes, and resuming from one exactly.
#include "spiral_checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "ann/error.h"
#include "ann/mlp_file.h"
#include "ann/serialize.h"

namespace ann::lesson {

namespace {

namespace fs = std::filesystem;

const std::string kPrefix = "spiral.";
const std::string kLossKey = "spiral.loss";
const std::string kAccuracyKey = "spiral.accuracy";
const std::string kSecondsKey = "spiral.seconds";

// The shortest text that reads back as the same value (std::to_chars' guarantee): metadata
// must give back the very numbers, or a resumed curve would not be the uninterrupted one.
template <class Number>
std::string exact(Number value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

// The options, as (metadata key without "spiral.", value text), in `ann spiral --help` order.
std::vector<std::pair<std::string, std::string>> options_of(const SpiralConfig& c) {
  return {{"seed", std::to_string(c.seed)},
          {"per_class", std::to_string(c.per_class)},
          {"classes", std::to_string(c.classes)},
          {"noise", exact(c.noise)},
          {"hidden", std::to_string(c.hidden)},
          {"layers", std::to_string(c.layers)},
          {"activation", std::string(to_string(c.activation))},
          {"optimizer", std::string(to_string(c.optimizer))},
          {"lr", exact(c.lr)},
          {"weight_decay", exact(c.weight_decay)},
          {"momentum", exact(c.momentum)},
          {"epochs", std::to_string(c.epochs)}};
}

// An option as the command line spells it: per_class -> per-class.
std::string shown(std::string key) {
  for (char& ch : key)
    if (ch == '_') ch = '-';
  return key;
}

// A value from a file, cut short: a hostile file should not make a huge message.
std::string quoted(const std::string& text) {
  return "\"" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "\"";
}

// Every option but epochs must be the checkpoint's: the data, the model and the optimizer
// have to be the ones that were trained. Training longer than planned is fine.
void check_same_config(const Metadata& saved, const SpiralConfig& config, const std::string& prefix) {
  std::vector<std::string> differences;
  for (const auto& [key, value] : options_of(config)) {
    const auto it = saved.find(kPrefix + key);
    if (it == saved.end()) {
      throw ValueError(prefix + "the file has no spiral configuration (no \"" + kPrefix + key +
                       "\" in its metadata); only checkpoints written by a spiral run can be resumed");
    }
    if (key != "epochs" && it->second != value)
      differences.push_back(shown(key) + " " + quoted(it->second) + " in the checkpoint, \"" + value + "\" now");
  }
  if (differences.empty()) return;
  std::string list;
  for (const std::string& d : differences) list += (list.empty() ? "" : "; ") + d;
  throw ValueError(prefix + "the run's configuration differs from the checkpoint's: " + list);
}

const std::string& metadata_text(const Metadata& metadata, const std::string& key, const std::string& prefix) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) throw IOError(prefix + "the checkpoint's metadata lacks \"" + key + "\"");
  return it->second;
}

// A curve written by append(): `count` comma-separated floats.
std::vector<float> parse_curve(const Metadata& metadata, const std::string& key, std::int64_t count,
                               const std::string& prefix) {
  const std::string& text = metadata_text(metadata, key, prefix);
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(count));
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p != end && static_cast<std::int64_t>(values.size()) < count) {
    float v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || (next != end && *next != ',')) {
      throw IOError(prefix + "metadata \"" + key + "\" is not a list of numbers (at value " +
                    std::to_string(values.size() + 1) + ")");
    }
    values.push_back(v);
    p = next == end ? end : next + 1;
  }
  if (static_cast<std::int64_t>(values.size()) != count || p != end) {
    throw IOError(prefix + "metadata \"" + key + "\" does not hold exactly " + std::to_string(count) +
                  " values, one per epoch done");
  }
  return values;
}

// After a failed write, what the file holds: usually the previous checkpoint (write_file_atomic
// leaves it alone), but a failure after the rename (syncing the directory) leaves the new one,
// and the directory itself may have gone. Looking is the only way to say it right.
std::string what_is_at(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "no checkpoint is at " + path.string();
  try {
    const Metadata metadata = load_tensors(path).metadata;
    const auto epoch = metadata.find("ann.epoch");
    if (epoch != metadata.end()) return path.string() + " holds the checkpoint of epoch " + epoch->second;
  } catch (const Error&) {
  }
  return path.string() + " is not a readable checkpoint";
}

}  // namespace

std::map<std::string, std::string> spiral_metadata(const SpiralConfig& config) {
  Metadata metadata = describe_mlp(2, config.hidden, config.layers, config.classes, config.activation);
  for (const auto& [key, value] : options_of(config)) metadata[kPrefix + key] = value;
  return metadata;
}

namespace detail {

SpiralCheckpointWriter::SpiralCheckpointWriter(std::filesystem::path path, std::int64_t every,
                                               const SpiralConfig& config, const History& resumed,
                                               std::int64_t on_disk)
    : path_(std::move(path)), every_(every), epochs_(config.epochs), metadata_(spiral_metadata(config)),
      on_disk_(on_disk) {
  for (std::size_t i = 0; i < resumed.loss.size(); ++i) append(resumed.loss[i], resumed.accuracy[i]);
  // Orphans come from writers killed before this run began. Removed now, not after this run's
  // first write: a run killed during that write would otherwise leave its own temporary file
  // beside theirs, and a chain of such kills would pile them up.
  remove_orphaned_temps(path_);
}

void SpiralCheckpointWriter::append(float loss, float accuracy) {
  if (recorded_ > 0) {
    loss_ += ',';
    accuracy_ += ',';
  }
  loss_ += exact(loss);
  accuracy_ += exact(accuracy);
  ++recorded_;
}

void SpiralCheckpointWriter::after_epoch(const TrainingState& state) {
  append(state.history.loss.back(), state.history.accuracy.back());
  const bool due = every_ > 0 && state.epochs_done % every_ == 0;
  if (due || state.epochs_done == state.epochs)
    write(state.model, state.optimizer, state.epochs_done, state.history.seconds);
}

void SpiralCheckpointWriter::finish(const nn::Module& model, const optim::Optimizer& optimizer,
                                    const History& history) {
  const auto done = static_cast<std::int64_t>(history.loss.size());
  if (on_disk_ != done) write(model, optimizer, done, history.seconds);
}

void SpiralCheckpointWriter::write(const nn::Module& model, const optim::Optimizer& optimizer,
                                   std::int64_t epochs_done, double seconds) {
  Metadata metadata = metadata_;
  metadata[kLossKey] = loss_;
  metadata[kAccuracyKey] = accuracy_;
  metadata[kSecondsKey] = exact(seconds);
  try {
    save_checkpoint(path_, model, optimizer, default_generator().state(), epochs_done, metadata);
  } catch (const IOError& e) {
    throw IOError("spiral: cannot write the checkpoint of epoch " + std::to_string(epochs_done) + " (" + e.what() +
                  "); " + what_is_at(path_));
  }
  on_disk_ = epochs_done;
}

Resumed resume_spiral(const std::filesystem::path& path, const SpiralConfig& config, nn::Module& model,
                      optim::Optimizer& optimizer) {
  const std::string prefix = "spiral: resuming from " + path.string() + ": ";
  TensorFile file;
  try {
    file = load_tensors(path);
  } catch (const IOError& e) {
    throw IOError(prefix + e.what());
  }
  check_same_config(file.metadata, config, prefix);
  const Checkpoint checkpoint = load_checkpoint(path, model, optimizer);
  if (checkpoint.epoch < 0 || checkpoint.epoch > config.epochs) {
    throw ValueError(prefix + "the checkpoint has done " + std::to_string(checkpoint.epoch) +
                     " epochs, more than the " + std::to_string(config.epochs) + " of this run");
  }
  Resumed resumed;
  resumed.epochs_done = checkpoint.epoch;
  resumed.history.loss = parse_curve(checkpoint.metadata, kLossKey, checkpoint.epoch, prefix);
  resumed.history.accuracy = parse_curve(checkpoint.metadata, kAccuracyKey, checkpoint.epoch, prefix);
  const std::string& seconds = metadata_text(checkpoint.metadata, kSecondsKey, prefix);
  std::from_chars(seconds.data(), seconds.data() + seconds.size(), resumed.history.seconds);  // informative only
  // Nothing in the loop draws random numbers, but whatever runs after it should see the
  // stream the uninterrupted run would have.
  default_generator().set_state(checkpoint.generator);
  return resumed;
}

void remove_orphaned_temps(const std::filesystem::path& target) {
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    // "<pid>-<counter>", both decimal, and nothing else: only write_file_atomic's own names.
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    long pid = 0;
    unsigned long counter = 0;
    const auto [dash, ec1] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (ec1 != std::errc() || dash == rest.data() + rest.size() || *dash != '-' || pid <= 0) continue;
    const auto [last, ec2] = std::from_chars(dash + 1, rest.data() + rest.size(), counter);
    if (ec2 != std::errc() || last != rest.data() + rest.size()) continue;
    // A live process (ours included, or one we may not signal) may still be writing it.
    if (pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

}  // namespace detail

}  // namespace ann::lesson
