// MetricsServer: a small HTTP server for one metrics::Registry, on a
// loopback address only (it has no authentication, and the status page names
// the hosts being crawled).
//
//   GET /metrics   Prometheus text format 0.0.4 (Registry::PrometheusText)
//   GET /healthz   200 "ok\n" while the server runs
//   GET /          an HTML status page (RenderStatusPage), refreshing itself
//   HEAD of each of these; 404 for any other path, 405 for other methods.
//
// It runs on a thread of its own with its own io_context, so a busy crawl
// never delays a scrape; connections are served concurrently (one coroutine
// each, keep-alive, read and write timeouts, small request limits, a cap on
// open connections), so a slow or stuck client delays nobody else.
//
// Ownership: the Registry must outlive the server. Thread safety: port() and
// url() may be called from any thread; Stop() from any thread but the
// server's, any number of times; the destructor stops it too.
#ifndef NEWSHOUND_METRICS_METRICS_SERVER_H_
#define NEWSHOUND_METRICS_METRICS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "newshound/status.h"

namespace newshound::metrics {

class MetricsServer {
 public:
  // Listens on `listen`, "HOST:PORT": HOST is an IPv4 loopback address
  // (127.0.0.0/8), "[::1]" or "localhost" (127.0.0.1); PORT 0 picks a free
  // port (see port()). Any other host is refused with kInvalidArgument naming
  // the address; a port that cannot be bound gives kIo.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen, const Registry& registry);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port listened on (the one picked when Start was given 0).
  uint16_t port() const;
  // "http://127.0.0.1:9464/" (IPv6: "http://[::1]:9464/"), for logs.
  std::string url() const;

  // Closes the listener and every connection, and joins the thread.
  void Stop();

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The status page for `sites` as of `now_ms` (ms since the epoch, for "3 min
// ago"): a self-contained HTML document (inline CSS, no scripts or external
// resources, meta refresh every kStatusPageRefreshSeconds). Each figure has
// data-metric="NAME" data-site="SITE" (see docs/output.md for the names);
// times are <time> elements whose datetime is ISO 8601 UTC with ms.
inline constexpr int kStatusPageRefreshSeconds = 5;
std::string RenderStatusPage(const std::vector<Registry::SiteStatus>& sites, int64_t in_flight, int64_t now_ms);

}  // namespace newshound::metrics

#endif  // NEWSHOUND_METRICS_METRICS_SERVER_H_
