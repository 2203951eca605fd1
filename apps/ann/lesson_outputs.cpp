// The files of `ann lesson`: lesson.json with every curve and result.
#include "lesson_outputs.h"

#include <nlohmann/json.hpp>

#include "ann/plot/lesson_figures.h"
#include "json_output.h"

namespace ann::cli {

namespace {
nlohmann::json lesson_json(const lesson::LessonRun& run) {
  return {{"spiral",
           {{"linear", history_json(run.linear_history)}, {"relu", history_json(run.relu_history)}}},
          {"regression", regression_json(run.regression, true)}};
}
}  // namespace

std::vector<std::filesystem::path> write_lesson_outputs(const lesson::LessonRun& run, const std::filesystem::path& dir,
                                                        plot::Format format, plot::Theme theme) {
  std::vector<std::filesystem::path> written = plot::write_lesson_figures(run, dir, format, theme);
  auto write = [&](const std::filesystem::path& name, const nlohmann::json& document) {
    write_json(dir / name, document);
    written.push_back(dir / name);
  };
  write("lesson.json", lesson_json(run));
  return written;
}

}  // namespace ann::cli
