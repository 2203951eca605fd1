#pragma once
// Everything `ann lesson` saves. One function, so that adding a file (a figure, a checkpoint)
// is one more line in it.
#include <filesystem>
#include <vector>

#include "ann/lesson.h"
#include "ann/plot/figure.h"

namespace ann::cli {

/// Writes the lesson's results into `dir` (which must exist), each file atomically: every
/// figure of the lesson in `format` and `theme`, then lesson.json. Returns the paths written.
std::vector<std::filesystem::path> write_lesson_outputs(const lesson::LessonRun& run, const std::filesystem::path& dir,
                                                        plot::Format format, plot::Theme theme);

}  // namespace ann::cli
