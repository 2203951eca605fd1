#pragma once
// Training progress on stdout, in the form that suits where stdout goes:
//  - a terminal: one live line per run, rewritten in place, cleared when the run ends;
//  - a pipe or a file (logs, CI): a plain line at every 10 % of a run's epochs;
//  - --quiet: nothing (the command still prints its final summary).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "ann/lesson.h"

namespace ann::cli {

class ProgressDisplay {
 public:
  enum class Mode { Live, Lines, Quiet };

  /// Live when `out` is a terminal, Lines otherwise, Quiet when asked.
  static Mode mode_for(std::FILE* out, bool quiet);

  ProgressDisplay(std::FILE* out, Mode mode) : out_(out), mode_(mode) {}
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  /// Clears a live line left by an interrupted run (an exception), so error text starts clean.
  ~ProgressDisplay() { clear(); }

  /// One epoch of the run called `run`; epoch 0 starts a new run. `with_accuracy` for
  /// classification. Called once per epoch, so it does almost nothing between redraws.
  void update(std::string_view run, const lesson::EpochReport& report, bool with_accuracy);
  /// The same with the caller's text for the epoch's numbers (e.g. "loss 0.31  val_loss 0.35").
  void update(std::string_view run, std::int64_t epoch, std::int64_t epochs, std::string_view numbers);

  /// Erases the live line, if one is showing.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  /// Notes the epoch and says whether a line is drawn for it now (and when "now" is).
  std::optional<Clock::time_point> due(std::string_view run, std::int64_t epoch, std::int64_t epochs);
  void draw(std::int64_t epoch, std::int64_t epochs, std::string_view numbers, Clock::time_point now);
  std::string format(std::int64_t epoch, std::int64_t epochs, std::string_view numbers, Clock::time_point now) const;

  std::FILE* out_;
  Mode mode_;
  std::string run_;
  std::int64_t first_epoch_ = 0;  // the epoch of the run's first report
  Clock::time_point run_start_{};
  Clock::time_point last_draw_{};
  bool line_showing_ = false;
};

/// The name of the i-th training run (0-based) of a regression experiment with `networks`
/// nets: "linear", then "relu 1/5" ... "tanh 5/5" (the order run_regression trains them).
std::string regression_run_name(std::int64_t index, std::int64_t networks);

}  // namespace ann::cli
