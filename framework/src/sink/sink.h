// The outputs of a crawl (`output.sinks`): what every kind of sink offers
// the engine.
//
// A sink takes records as the crawl makes them (WriteArticle, WriteExchange)
// and keeps them until Flush, which makes them survive a killed process
// (handed to the kernel, committed): only then does the engine record the
// articles as emitted in the crawl state, in the same state transaction
// that records their URLs as done. So a record the state says was emitted
// is always in every sink of its site; the reverse gap (in a sink, not yet
// in the state: killed between the two) is closed on the next start, by
// reading back what the jsonl sinks hold past their checkpoint (sqlite
// upserts and WARC records are harmless to repeat). Sync adds fdatasync
// against a power loss.
//
// A failing sink is never skipped: its error names the sink and its file,
// and the engine stops the crawl with it.
//
// Thread safety: one owner (the engine's strand) calls everything but
// Sync, which a sink allows from one other thread (the engine's sink
// thread) at the same time.
#ifndef NEWSHOUND_SINK_SINK_H_
#define NEWSHOUND_SINK_SINK_H_

#include <memory>
#include <string>

#include "newshound/config.h"
#include "newshound/fetch.h"
#include "newshound/plugin_host.h"
#include "newshound/sink.h"
#include "newshound/status.h"

namespace newshound::sink {

class Sink {
 public:
  explicit Sink(SinkConfig config) : config_(std::move(config)) {}
  virtual ~Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  const SinkConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  SinkKind kind() const { return config_.kind; }
  // "sink 'articles' (jsonl)": how errors and logs name it; the sink's own
  // messages name its file.
  std::string Label() const { return "sink '" + config_.name + "' (" + std::string(SinkKindName(config_.kind)) + ")"; }

  // Absolute: the file written now (jsonl: the current segment; sqlite: the
  // database), or the directory (warc).
  virtual std::string path() const = 0;
  virtual bool takes_articles() const { return false; }
  virtual bool takes_exchanges() const { return false; }
  // `json` is ArticleToJson(article, &meta).
  virtual Status WriteArticle(const ArticleRecord& article, const RecordMeta& meta, const std::string& json);
  virtual Status WriteExchange(const HttpExchange& exchange);
  // Records written since the last successful Flush.
  virtual bool dirty() const = 0;
  virtual Status Flush() = 0;
  virtual Status Sync() = 0;

 protected:
  SinkConfig config_;
};

// Opens the sink a config entry describes (creating its file or directory).
Result<std::unique_ptr<Sink>> OpenSink(const SinkConfig& config);

}  // namespace newshound::sink

#endif  // NEWSHOUND_SINK_SINK_H_
