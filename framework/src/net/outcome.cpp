#include "newshound/outcome.h"

namespace newshound {

std::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kFetched: return "fetched";
    case OutcomeKind::kNotModified: return "not_modified";
    case OutcomeKind::kHttpError: return "http_error";
    case OutcomeKind::kTimeout: return "timeout";
    case OutcomeKind::kTls: return "tls";
    case OutcomeKind::kTooLarge: return "too_large";
    case OutcomeKind::kTruncated: return "truncated";
    case OutcomeKind::kRedirectLoop: return "redirect_loop";
    case OutcomeKind::kTooManyRedirects: return "too_many_redirects";
    case OutcomeKind::kRefusedScheme: return "refused_scheme";
    case OutcomeKind::kDns: return "dns";
    case OutcomeKind::kConnect: return "connect";
    case OutcomeKind::kBlockedAddress: return "blocked_address";
    case OutcomeKind::kNetwork: return "network";
    case OutcomeKind::kRobotsDisallowed: return "robots_disallowed";
    case OutcomeKind::kOutOfScope: return "out_of_scope";
    case OutcomeKind::kOverBudget: return "over_budget";
    case OutcomeKind::kDuplicate: return "duplicate";
    case OutcomeKind::kSeenBefore: return "seen_before";
    case OutcomeKind::kPluginError: return "plugin_error";
    case OutcomeKind::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view FetchPhaseName(FetchPhase phase) {
  switch (phase) {
    case FetchPhase::kNone: return "none";
    case FetchPhase::kResolve: return "resolve";
    case FetchPhase::kConnect: return "connect";
    case FetchPhase::kTlsHandshake: return "tls_handshake";
    case FetchPhase::kHeaders: return "headers";
    case FetchPhase::kBody: return "body";
    case FetchPhase::kTotal: return "total";
  }
  return "unknown";
}

}  // namespace newshound
