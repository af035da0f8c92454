// Paths built from untrusted names that stay inside their folder.
//
// A sink that names its files after a site, a host, a time or anything else
// taken from a URL or a page (WARC files, rotated or per-site JSONL) builds
// the path with ContainedPath, never with `root / name`: each name becomes
// one safe file name (SafeFileName), and the result is checked to lie under
// the root, lexically and through the symbolic links that already exist.
//
// What it does not do: the check is made when the path is built, so a
// symlink created between the check and the open(2) is not seen. A sink
// that shares its folder with someone hostile opens with O_NOFOLLOW (and
// O_EXCL when it creates). Nor are the names made unique: "a/b" and "a_b"
// are one file name.
//
// Thread safety: functions over values; ContainedPath reads the file system.
#ifndef NEWSHOUND_COMMON_CONTAINED_PATH_H_
#define NEWSHOUND_COMMON_CONTAINED_PATH_H_

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/status.h"

namespace newshound {

// The longest file name (bytes) most file systems take (NAME_MAX).
inline constexpr size_t kMaxFileNameBytes = 255;

// `name` as one file name that names a file in the folder it is put in,
// and no other place:
// - percent-escapes are decoded, again until none is left ("%252e" is "."),
//   so what remains decodes to itself: a later decoder (a web server over
//   the folder) cannot turn it into "../" either;
// - '/', '\', NUL, the other C0 controls, DEL, the C1 controls, bidi
//   embedding/override/isolate controls (U+202A..U+202E, U+2066..U+2069)
//   and bytes that are not UTF-8 become '_';
// - leading dots become '_' ("." and ".." too; no hidden files);
// - the empty name becomes "_";
// - a name over kMaxFileNameBytes is cut on a UTF-8 boundary and ends in
//   "~" and 16 hex digits of a hash of the whole name, so two long names
//   that differ past the cut stay two files.
// Anything else, Arabic or Chinese names included, is kept as it is. The
// result is a fixed point: SafeFileName(SafeFileName(x)) == SafeFileName(x).
std::string SafeFileName(std::string_view name);

// `root` (made absolute against the working directory) joined with each of
// `components` as SafeFileName makes it; the error (kInvalidArgument) when
// there is no component, or when the path would not be inside `root`:
// lexically, or, where the path already exists, through a symbolic link
// (each one on the way is followed, a dangling one too, and must stay under
// the root's own real location). `root` need not exist.
Result<std::filesystem::path> ContainedPath(const std::filesystem::path& root,
                                            std::initializer_list<std::string_view> components);
Result<std::filesystem::path> ContainedPath(const std::filesystem::path& root,
                                            const std::vector<std::string>& components);

}  // namespace newshound

#endif  // NEWSHOUND_COMMON_CONTAINED_PATH_H_
