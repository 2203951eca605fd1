// Up-front checks of output paths; the write itself can still fail, and write_file_atomic
// reports that.
#include "output_path.h"

#include <system_error>

#include "ann/error.h"
#include "ann/plot/figure.h"

namespace ann::cli {

namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(std::string_view option, const fs::path& path, const std::string& why) {
  throw IOError(std::string(option) + " " + path.string() + ": " + why);
}
}  // namespace

void check_output_file(const fs::path& file, std::string_view option) {
  if (file.empty() || !file.has_filename()) fail(option, file, "not a file name");
  std::error_code ec;
  if (fs::is_directory(file, ec)) fail(option, file, "is a directory");
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) fail(option, file, "directory " + dir.string() + " does not exist");
  if (!fs::is_directory(status)) fail(option, file, dir.string() + " is not a directory");
}

void prepare_output_dir(const fs::path& dir, std::string_view option) {
  if (dir.empty()) fail(option, dir, "empty directory name");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(option, dir, "cannot create directory: " + ec.message());
  if (!fs::is_directory(dir, ec)) fail(option, dir, "not a directory");
}

void check_figure_file(const std::filesystem::path& file, std::string_view option) {
  plot::format_of(file);  // a bad extension fails now, not after training
  check_output_file(file, option);
}

}  // namespace ann::cli
