// Masking secrets before text reaches a log, a message, a summary or the
// screen: the one place that decides what a secret looks like once shown.
//
// What counts as a secret (docs/configuration.md, "Secrets"): the password
// of a proxy URL (ProxyOptions::Masked, config.h), the user name and
// password of any URL ("https://user:pass@host/"), and the values of
// credential headers (Authorization, Proxy-Authorization, Cookie,
// Set-Cookie and headers whose names say they carry a key or token).
// Every mask is kMask.
//
// Thread safety: pure functions.
#ifndef NEWSHOUND_REDACT_H_
#define NEWSHOUND_REDACT_H_

#include <string>
#include <string_view>

namespace newshound {

// What stands in for a secret.
inline constexpr std::string_view kMask = "***";

// `text` (a URL, valid or not) with the userinfo of its authority, user
// name and password alike, replaced by kMask: "https://***@host/x". Lexical,
// so it also masks what no parser accepts ("http://u:p@bad host/"): the
// authority starts after "scheme:" (and any '/' or '\'; at the start of the
// text without a scheme), ends at the first '/', '\', '?' or '#', and its
// userinfo is everything before its last '@'. Text without one is returned
// unchanged. A user name alone is masked too: it is often a token
// ("https://TOKEN@host/").
std::string RedactUrl(std::string_view text);

// Whether a header's value is a credential, by its name (ASCII
// case-insensitive): Authorization, Proxy-Authorization, Cookie,
// Set-Cookie, or a name containing "token", "secret", "password",
// "passwd", "api-key", "apikey", "api_key", "session" or "auth".
bool IsCredentialHeader(std::string_view name);

// The value of header `name` as it may be shown: unchanged for an ordinary
// header; a Location or Content-Location through RedactUrl; for a cookie
// header each cookie's value masked and its name (and
// Set-Cookie's attributes) kept ("sid=***; Path=/; HttpOnly"); for any
// other credential header kMask, keeping an auth scheme word
// ("Bearer ***", "Basic ***").
std::string RedactHeaderValue(std::string_view name, std::string_view value);

}  // namespace newshound

#endif  // NEWSHOUND_REDACT_H_
