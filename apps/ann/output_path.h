#pragma once
// Checks on where the results will go, made before training so that a typo in a path fails
// in a millisecond rather than after the run.
#include <filesystem>
#include <string_view>

namespace ann::cli {

/// Throws IOError when `file` cannot be a new or replaced regular file: its directory is
/// missing or not a directory, or the path names a directory. `option` names the flag.
void check_output_file(const std::filesystem::path& file, std::string_view option);

/// check_output_file() for a figure, whose extension (.png or .svg) must also be known.
void check_figure_file(const std::filesystem::path& file, std::string_view option);

/// Creates `dir` (and its parents) if needed; throws IOError when it cannot, or when `dir`
/// exists but is not a directory.
void prepare_output_dir(const std::filesystem::path& dir, std::string_view option);

}  // namespace ann::cli
