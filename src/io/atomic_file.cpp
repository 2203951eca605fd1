// write_file_atomic: temp file in the target's directory, fsync, rename, fsync the directory.
// POSIX calls rather than iostreams, because only they report why a step failed (errno) and
// give us fsync.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>

#include "ann/error.h"
#include "ann/io.h"

namespace ann::io {

namespace {

[[noreturn]] void fail(const char* what, const std::string& path, int error) {
  throw IOError("write_file_atomic: " + std::string(what) + " " + path + ": " +
                std::generic_category().message(error));
}

// The directory whose entry the rename changes ("." for a bare file name).
std::filesystem::path directory_of(const std::filesystem::path& path) {
  const std::filesystem::path parent = path.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// Owns the temporary file until it has been renamed: every early exit (an exception) closes
// and unlinks it, so a failed write leaves nothing behind.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target) {
    // pid + a per-process counter make the name unique between processes and threads; O_EXCL
    // makes sure we never write into someone else's file (a stale temp of a reused pid).
    static std::atomic<unsigned long> counter{0};
    for (int attempt = 0;; ++attempt) {
      name_ = target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
      fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      if (errno != EEXIST || attempt == 100) fail("cannot create", name_, errno);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(name_.c_str());
  }

  void write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write", name_, errno);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // A file that replaces another keeps its permission bits; best effort, because the content
  // is what matters and some file systems (FAT, some network mounts) refuse chmod.
  void copy_mode_from(const std::filesystem::path& target) {
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) (void)::fchmod(fd_, st.st_mode & 07777);
  }

  // The data must be on disk before the rename publishes it, or a crash could leave the
  // new name pointing at an empty file. close() can report a delayed write error too.
  void sync_and_close() {
    if (::fsync(fd_) != 0) fail("cannot sync", name_, errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close", name_, errno);
  }

  void rename_to(const std::filesystem::path& target) {
    if (::rename(name_.c_str(), target.c_str()) != 0) fail("cannot rename onto", target.string(), errno);
    renamed_ = true;
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool renamed_ = false;
};

// Makes the rename durable. Some file systems cannot fsync a directory (EINVAL); there the
// rename is as durable as it gets, so that is not an error.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir.string(), errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0 && error != EINVAL && error != ENOTSUP) fail("cannot sync directory", dir.string(), error);
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  if (path.empty() || !path.has_filename()) fail("cannot write to", "\"" + path.string() + "\"", EINVAL);
  TempFile temp(path);
  temp.write_all(bytes);
  temp.copy_mode_from(path);
  temp.sync_and_close();
  temp.rename_to(path);
  sync_directory(directory_of(path));
}

}  // namespace ann::io
