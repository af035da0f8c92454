// The one vocabulary of URL outcomes, shared by the fetcher, the engine,
// the summary, logs and output records. Every URL the crawl accepts ends in
// exactly one terminal outcome.
//
// Thread safety: values.
#ifndef NEWSHOUND_OUTCOME_H_
#define NEWSHOUND_OUTCOME_H_

#include <string_view>

namespace newshound {

enum class OutcomeKind {
  kFetched,          // 2xx with a usable body
  kNotModified,      // 304 to a conditional request
  kHttpError,        // a final status that is not 2xx (see status)
  kTimeout,          // see FetchPhase for where
  kTls,              // handshake or certificate verification failed (see detail)
  kTooLarge,         // body over max_body
  kTruncated,        // connection ended before the announced body length
  kRedirectLoop,     // a redirect came back to a URL of its own chain
  kTooManyRedirects, // more hops than max_redirects
  kRefusedScheme,    // not http or https
  kDns,              // the host name did not resolve
  kConnect,          // TCP connect failed (refused, unreachable)
  kBlockedAddress,   // not connected to: the host's address is not public and network.allow does not open it
  kNetwork,          // another transport error (reset, protocol error)
  kRobotsDisallowed, // robots.txt does not allow it (or robots.txt stayed unreachable)
  kOutOfScope,       // a link (or redirect) outside the site's hosts
  kOverBudget,       // not fetched: the site's max_pages was reached
  kDuplicate,        // not fetched again: it redirects to a URL the crawl already has
  kSeenBefore,       // not fetched: an earlier run settled it (an article, or gone for good) and recrawl_after has not passed
  kPluginError,      // fetched, but the plugin failed on it
  kCancelled,        // the crawl was stopped before this URL finished
};
inline constexpr int kOutcomeKindCount = static_cast<int>(OutcomeKind::kCancelled) + 1;

// Stable snake_case names used in logs, summaries and records
// ("fetched", "http_error", "timeout", ...).
std::string_view OutcomeKindName(OutcomeKind kind);

// Where in a request a timeout or failure happened.
enum class FetchPhase { kNone, kResolve, kConnect, kTlsHandshake, kHeaders, kBody, kTotal };
std::string_view FetchPhaseName(FetchPhase phase);

}  // namespace newshound

#endif  // NEWSHOUND_OUTCOME_H_
