// The main() of a fuzz target in the normal (non-fuzzing) build: runs
// LLVMFuzzerTestOneInput once on every file named on the command line, and on
// every file under every directory named there (sorted, so a run is
// repeatable), the way a libFuzzer binary replays files. ctest runs each
// target over its seed corpus and its regressions this way
// (tests/fuzz/CMakeLists.txt), so the checked-in inputs are exercised on every
// CI run, under ASan and UBSan in build-asan.
//
// Files whose names start with '.' or "README" are skipped (placeholders and
// notes in the corpus directories). Exit status: 0 when every input ran (a
// target reports a bug by crashing or aborting), 1 when an argument names
// nothing, or a directory holds no input at all.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool Skipped(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.empty() || name[0] == '.' || name.rfind("README", 0) == 0;
}

bool RunFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: %s: cannot open\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, as libFuzzer passes it, so ASan
  // catches a read one past the end.
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  // An empty input first: every target must take it.
  LLVMFuzzerTestOneInput(nullptr, 0);
  size_t total = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
        if (entry.is_regular_file() && !Skipped(entry.path())) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      size_t ran = 0;
      for (const auto& file : files) ran += RunFile(file) ? 1 : 0;
      std::printf("replay: %zu input(s) from %s\n", ran, arg.c_str());
      total += ran;
      if (files.empty() && arg.filename() != "regressions") {
        std::fprintf(stderr, "replay: %s: no inputs\n", arg.c_str());
        ok = false;
      }
    } else if (fs::is_regular_file(arg, ec)) {
      if (RunFile(arg)) {
        ++total;
      } else {
        ok = false;
      }
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", arg.c_str());
      ok = false;
    }
  }
  std::printf("replay: %zu input(s) run\n", total);
  return ok ? 0 : 1;
}
