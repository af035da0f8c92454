// Status and Result<T>: the error currency at every newshound module boundary.
//
// A Status is either OK or an error code with a message that names the object
// it concerns (a URL, file:line:column, a plugin path). It is cheap when OK.
// Result<T> holds a T or an error Status. Neither throws.
//
// Thread safety: values; no shared state.
#ifndef NEWSHOUND_STATUS_H_
#define NEWSHOUND_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace newshound {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // bad input from the caller or a user file
  kNotFound,
  kIo,               // a file system call failed
  kConfig,           // a config file is wrong; message has file:line:column
  kPlugin,           // a plugin was refused or failed
  kNetwork,          // see the fetch outcome for the exact kind
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "config: demo.yaml:3:5: unknown key 'foo'"
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(const std::string& context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace newshound

#endif  // NEWSHOUND_STATUS_H_
