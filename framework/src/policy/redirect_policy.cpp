#include "policy/redirect_policy.h"

#include "newshound/redact.h"
#include "newshound/url.h"

namespace newshound::policy {

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

RedirectDecision DecideRedirect(const std::vector<std::string>& hops, std::string_view location, int max_redirects) {
  RedirectDecision decision;
  const std::string& current = hops.back();
  auto target = ResolveUrl(current, location);
  if (!target.ok()) {
    decision.outcome = OutcomeKind::kRefusedScheme;
    decision.detail = "redirect from " + RedactUrl(current) + ": " + target.status().message();
    return decision;
  }
  if (static_cast<int>(hops.size()) > max_redirects) {
    decision.outcome = OutcomeKind::kTooManyRedirects;
    decision.detail = "more than " + std::to_string(max_redirects) + " redirects (last to " + RedactUrl(*target) + ")";
    return decision;
  }
  // Compared in normal form, so http://h/a and http://h:80/a are one URL.
  const auto normal_target = NormalizeUrl(*target);
  for (const auto& hop : hops) {
    const auto normal_hop = NormalizeUrl(hop);
    if (normal_target.ok() && normal_hop.ok() ? *normal_target == *normal_hop : *target == hop) {
      decision.outcome = OutcomeKind::kRedirectLoop;
      decision.detail = "redirect loop: " + RedactUrl(current) + " redirects back to " + RedactUrl(*target);
      return decision;
    }
  }
  decision.follow = true;
  decision.target = std::move(*target);
  return decision;
}

}  // namespace newshound::policy
