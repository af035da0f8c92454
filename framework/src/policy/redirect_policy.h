// Whether a redirect is followed, and to where.
//
// One rule set for both ways redirects are followed: inside one request
// (Fetcher, for robots.txt and `newshound fetch`), and hop by hop through
// the frontier (the crawl, where every hop waits for its host's politeness
// and robots.txt like any other request). The caller keeps the hops made so
// far; the policy resolves the Location against the last one and refuses a
// target that is not http(s), one already in the chain (a loop), or one
// past max_redirects. Scope and robots.txt are the caller's checks.
//
// Pure policy: no I/O. Thread safety: free functions over values.
#ifndef NEWSHOUND_POLICY_REDIRECT_POLICY_H_
#define NEWSHOUND_POLICY_REDIRECT_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "newshound/outcome.h"

namespace newshound::policy {

// The redirect statuses followed: 301, 302, 303, 307, 308 (always as GET;
// the crawler only sends GET).
bool IsRedirectStatus(int status);

struct RedirectDecision {
  bool follow = false;
  std::string target;   // follow: the absolute URL of the next hop (no fragment)
  OutcomeKind outcome = OutcomeKind::kFetched;  // !follow: the URL's outcome
  std::string detail;   // !follow: why, naming the URLs
};

// `hops`: every URL requested so far for this URL, first to last (the last
// one answered with `location`). `max_redirects`: hops that may follow the
// first request.
RedirectDecision DecideRedirect(const std::vector<std::string>& hops, std::string_view location, int max_redirects);

}  // namespace newshound::policy

#endif  // NEWSHOUND_POLICY_REDIRECT_POLICY_H_
