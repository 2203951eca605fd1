#pragma once
// The `ann` subcommands. Each adds its options to the parent app and returns what to run when
// it was chosen; main() parses first and runs afterwards, so that every parse error is
// reported before any work starts.
#include <functional>

#include <CLI/CLI.hpp>

namespace ann::cli {

struct Command {
  CLI::App* app;               ///< the subcommand, to ask whether it was given
  std::function<void()> run;   ///< validates the options, then does the work
};

Command add_spiral_command(CLI::App& parent);
Command add_regression_command(CLI::App& parent);
Command add_lesson_command(CLI::App& parent);
Command add_predict_command(CLI::App& parent);
Command add_train_command(CLI::App& parent);

}  // namespace ann::cli
