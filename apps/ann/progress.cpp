// ProgressDisplay: the live line, the plain lines, and their shared text.
#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace ann::cli {

namespace {
// A terminal redraw costs far more than a small epoch; 20 redraws a second look live.
constexpr auto kRedrawInterval = std::chrono::milliseconds(50);

// Whether this epoch crosses into a new tenth of the run: at most ten plain lines per run,
// evenly spaced, and always the last epoch.
bool at_tenth(std::int64_t epoch, std::int64_t epochs) {
  return (10 * (epoch + 1)) / epochs != (10 * epoch) / epochs || epoch + 1 == epochs;
}
}  // namespace

ProgressDisplay::Mode ProgressDisplay::mode_for(std::FILE* out, bool quiet) {
  if (quiet) return Mode::Quiet;
  return ::isatty(::fileno(out)) ? Mode::Live : Mode::Lines;
}

void ProgressDisplay::update(std::string_view run, const lesson::EpochReport& report, bool with_accuracy) {
  const std::optional<Clock::time_point> now = due(run, report.epoch, report.epochs);
  if (!now) return;  // most epochs: the text is not even formatted
  std::string numbers = fmt::format("loss {:.6f}", report.loss);
  if (with_accuracy) numbers += fmt::format("  accuracy {:.3f}", report.accuracy);
  draw(report.epoch, report.epochs, numbers, *now);
}

void ProgressDisplay::update(std::string_view run, std::int64_t epoch, std::int64_t epochs, std::string_view numbers) {
  if (const std::optional<Clock::time_point> now = due(run, epoch, epochs)) draw(epoch, epochs, numbers, *now);
}

std::optional<ProgressDisplay::Clock::time_point> ProgressDisplay::due(std::string_view run, std::int64_t epoch,
                                                                       std::int64_t epochs) {
  if (mode_ == Mode::Quiet) return std::nullopt;
  const Clock::time_point now = Clock::now();
  if (epoch == 0 || run != run_) {
    run_.assign(run);
    run_start_ = now;
    first_epoch_ = epoch;  // a resumed run starts past 0
    last_draw_ = {};
  }
  if (mode_ == Mode::Lines) return at_tenth(epoch, epochs) ? std::optional(now) : std::nullopt;
  if (epoch + 1 == epochs) {  // the live line goes when the run ends
    clear();
    return std::nullopt;
  }
  if (now - last_draw_ < kRedrawInterval) return std::nullopt;
  last_draw_ = now;
  return now;
}

void ProgressDisplay::draw(std::int64_t epoch, std::int64_t epochs, std::string_view numbers, Clock::time_point now) {
  if (mode_ == Mode::Lines) {
    fmt::print(out_, "{}\n", format(epoch, epochs, numbers, now));
  } else {
    // \r back to the line's start, the text, then erase whatever a longer old line left.
    fmt::print(out_, "\r{}\x1b[K", format(epoch, epochs, numbers, now));
    line_showing_ = true;
  }
  std::fflush(out_);
}

void ProgressDisplay::clear() {
  if (!line_showing_) return;
  fmt::print(out_, "\r\x1b[K");
  std::fflush(out_);
  line_showing_ = false;
}

std::string ProgressDisplay::format(std::int64_t epoch, std::int64_t epochs, std::string_view numbers,
                                    Clock::time_point now) const {
  const std::int64_t done = epoch + 1;
  std::string text = fmt::format("{:<19} epoch {:>{}}/{}  {}", run_, done, fmt::formatted_size("{}", epochs), epochs, numbers);
  // The rate counts the epochs after the first report, whose start time is not known.
  const double elapsed = std::chrono::duration<double>(now - run_start_).count();
  if (epoch > first_epoch_ && elapsed > 0) {
    const double rate = static_cast<double>(epoch - first_epoch_) / elapsed;
    text += fmt::format("  {:.0f} epochs/s  ETA {:.1f} s", rate, static_cast<double>(epochs - done) / rate);
  }
  return text;
}

std::string regression_run_name(std::int64_t index, std::int64_t networks) {
  if (index <= 0) return "linear";
  const std::int64_t half = networks / 2;
  const std::int64_t net = index - 1;
  return net < half ? fmt::format("relu {}/{}", net + 1, half) : fmt::format("tanh {}/{}", net - half + 1, half);
}

}  // namespace ann::cli
