#pragma once
// Writing files so that a crash or a full disk never leaves a half-written one behind:
// readers of a checkpoint, a figure or a results file see either the old bytes or the new.
#include <filesystem>
#include <string_view>

namespace ann::io {

/// Replaces the file at `path` with `bytes`, atomically: the bytes go to a uniquely named
/// temporary file in the same directory (same file system, so the rename is atomic), which is
/// flushed and fsync'ed, then renamed over `path`; finally the directory is fsync'ed so that
/// the rename itself survives a crash. An existing target keeps its permission bits.
/// On any failure the temporary file is removed, the previous target is left untouched, and
/// ann::IOError is thrown naming the path and the system's reason, e.g.
///   "write_file_atomic: cannot create /nonexistent/x.json.tmp-123-0: No such file or directory".
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace ann::io
