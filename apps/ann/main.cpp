// `ann` — the lesson's experiments from the command line.
// Exit codes: 0 success (and --help), 2 bad input or an output that cannot be written (any
// ann::Error, any option CLI11 rejects), 3 a training run that diverged (a non-finite loss,
// gradient or parameter; its last good checkpoint is kept), 1 an unexpected failure. Errors
// are one line on stderr, "ann: error: <message>", so that scripts can show or grep them.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ann/cpu.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/threads.h"
#include "commands.h"

// In a sanitizer build, LeakSanitizer would fail any command that drew text (--plot, `ann
// lesson`): fontconfig keeps its caches to the end of the process by design. The tests' own
// programs suppress the same library (tests/test_plot_helpers.h).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANN_ADDRESS_SANITIZER 1  // Clang
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(ANN_ADDRESS_SANITIZER)  // GCC, or Clang
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif

namespace {

int report_error(std::string message, int code) {
  // Keep it to one line whatever the message holds.
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  std::fflush(stdout);
  fmt::print(stderr, "ann: error: {}\n", message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The lesson's experiments (spiral classification, regression ensembles), and training on your own tables.", "ann"};
  // Every option shows its default in --help (set before the subcommands copy these defaults).
  app.option_defaults()->always_capture_default();
  // A repeated option takes its last value, as in most tools: a script can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.require_subcommand(1);
  int threads = 1;
  app.add_option("--threads", threads, "CPU threads for large matrix products (results are the same for any count)")
      ->check(CLI::Range(1, 1024));
  app.fallthrough();  // `ann spiral --threads 2` as well as `ann --threads 2 spiral`
  const ann::cli::Command commands[] = {ann::cli::add_spiral_command(app), ann::cli::add_regression_command(app),
                                        ann::cli::add_lesson_command(app), ann::cli::add_train_command(app),
                                        ann::cli::add_predict_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help prints the usage and succeeds
    return report_error(e.what(), 2);
  }
  try {
    ann::set_num_threads(threads);
    ann::cpu_level();  // a bad ANN_CPU_LEVEL is one line and exit 2 before any work
    for (const ann::cli::Command& command : commands)
      if (command.app->parsed()) command.run();
  } catch (const ann::lesson::TrainingDiverged& e) {
    return report_error(e.what(), 3);
  } catch (const ann::Error& e) {
    return report_error(e.what(), 2);
  } catch (const std::exception& e) {
    return report_error(e.what(), 1);
  }
  return 0;
}
