// load_tensors: from a file (POSIX pread, so every failure has its errno reason and the data
// goes straight into the tensors' storage) or from bytes in memory (the fuzzer's entry point).
// Both take the same steps: header length, header, then the tensors.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "ann/error.h"
#include "ann/serialize.h"
#include "io/safetensors.h"
#include "tensor_impl.h"

namespace ann::io::safetensors {

// The data section is little-endian and is copied as is.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

TensorFile materialise(const Layout& layout, const ReadAt& read, const std::string& source) {
  TensorFile file;
  file.metadata = layout.metadata;
  for (const Entry& e : layout.entries) {
    // parse_header proved that [begin, end) lies inside the data section, so this allocation
    // is no larger than bytes the input really holds.
    Tensor t = make_tensor(e.shape, e.dtype, Device{});
    const std::size_t nbytes = e.end - e.begin;
    if (nbytes > 0) read(e.begin, t.impl()->raw_data(), nbytes);
    if (e.dtype == DType::Bool) {
      // Any other byte would be an invalid bool: undefined behaviour on first use.
      const auto* bytes = static_cast<const unsigned char*>(t.impl()->raw_data());
      for (std::size_t i = 0; i < nbytes; ++i) {
        if (bytes[i] > 1) {
          throw IOError("load_tensors: " + source + ": tensor \"" + e.name + "\": BOOL element " + std::to_string(i) +
                        " is " + std::to_string(bytes[i]) + ", not 0 or 1");
        }
      }
    }
    file.tensors.emplace(e.name, std::move(t));
  }
  return file;
}

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what, int error) {
  throw IOError("load_tensors: " + source + ": " + what + ": " + std::generic_category().message(error));
}

// A read-only file descriptor, closed on every exit.
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path) : source_(path.string()) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(source_, "cannot open", errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(source_, "cannot stat", errno);
    if (!S_ISREG(st.st_mode)) throw IOError("load_tensors: " + source_ + ": not a regular file");
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() { ::close(fd_); }

  std::uint64_t size() const { return size_; }

  // Exactly n bytes at `offset`, or an IOError: the file may shrink while we read it.
  void read_exact(std::uint64_t offset, void* destination, std::size_t n) const {
    auto* out = static_cast<char*>(destination);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0) {
        if (errno == EINTR) continue;
        fail(source_, "cannot read at offset " + std::to_string(offset), errno);
      }
      if (got == 0) {
        throw IOError("load_tensors: " + source_ + ": file ended at byte " + std::to_string(offset) +
                      " while reading it (truncated while being read?)");
      }
      out += got;
      offset += static_cast<std::uint64_t>(got);
      n -= static_cast<std::size_t>(got);
    }
  }

 private:
  std::string source_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace

}  // namespace ann::io::safetensors

namespace ann {

namespace st = io::safetensors;

TensorFile load_tensors_from_bytes(std::string_view bytes, const std::string& source) {
  const std::uint64_t n = st::header_length(bytes.substr(0, st::kLengthBytes), bytes.size(), source);
  const std::string_view data = bytes.substr(st::kLengthBytes + n);
  const st::Layout layout = st::parse_header(bytes.substr(st::kLengthBytes, n), data.size(), source);
  return st::materialise(
      layout,
      [data](std::uint64_t offset, void* out, std::size_t count) { std::memcpy(out, data.data() + offset, count); },
      source);
}

TensorFile load_tensors(const std::filesystem::path& path) {
  const std::string source = path.string();
  const st::InputFile file(path);
  char first[st::kLengthBytes] = {};
  const std::size_t available = file.size() < st::kLengthBytes ? static_cast<std::size_t>(file.size()) : sizeof first;
  file.read_exact(0, first, available);
  const std::uint64_t n = st::header_length(std::string_view(first, available), file.size(), source);
  // n <= kMaxHeaderBytes and n <= the file's size: header_length checked both
  std::string header(static_cast<std::size_t>(n), '\0');
  file.read_exact(st::kLengthBytes, header.data(), header.size());
  const std::uint64_t data_start = st::kLengthBytes + n;
  const st::Layout layout = st::parse_header(header, file.size() - data_start, source);
  return st::materialise(
      layout,
      [&file, data_start](std::uint64_t offset, void* out, std::size_t count) {
        file.read_exact(data_start + offset, out, count);
      },
      source);
}

}  // namespace ann
