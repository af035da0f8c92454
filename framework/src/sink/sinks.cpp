// The sink factory, and the adapters that make the sqlite store and the
// WARC writer sinks.
#include <filesystem>

#include "sink/jsonl_sink.h"
#include "sink/sink.h"
#include "sink/sqlite_store.h"
#include "sink/warc_writer.h"

namespace newshound::sink {

Status Sink::WriteArticle(const ArticleRecord&, const RecordMeta&, const std::string&) { return Status::Ok(); }
Status Sink::WriteExchange(const HttpExchange&) { return Status::Ok(); }

namespace {

// sqlite: an upsert per article inside one transaction, committed by Flush.
// Repeating an upsert (a record written again after a crash) changes
// nothing, so recovery needs nothing from this sink.
class SqliteSink final : public Sink {
 public:
  SqliteSink(const SinkConfig& config, std::unique_ptr<SqliteArticleStore> store)
      : Sink(config), store_(std::move(store)) {}
  std::string path() const override { return store_->path(); }
  bool takes_articles() const override { return true; }
  Status WriteArticle(const ArticleRecord& article, const RecordMeta& meta, const std::string& json) override {
    dirty_ = true;
    return store_->Upsert(article, meta, json);
  }
  bool dirty() const override { return dirty_; }
  Status Flush() override {
    if (!dirty_) return Status::Ok();
    Status status = store_->Flush();
    if (status.ok()) dirty_ = false;
    return status;
  }
  // WAL with synchronous=NORMAL, like the crawl state: a commit survives a
  // killed process; a power loss may take the last ones, in both alike.
  Status Sync() override { return Status::Ok(); }

 private:
  std::unique_ptr<SqliteArticleStore> store_;
  bool dirty_ = false;
};

// warc: every request and response of the site's fetches, as records.
class WarcSink final : public Sink {
 public:
  WarcSink(const SinkConfig& config, std::unique_ptr<WarcWriter> writer, std::string directory)
      : Sink(config), writer_(std::move(writer)), directory_(std::move(directory)) {}
  std::string path() const override { return directory_; }
  bool takes_exchanges() const override { return true; }
  Status WriteExchange(const HttpExchange& exchange) override {
    dirty_ = true;
    return writer_->Write(exchange);
  }
  bool dirty() const override { return dirty_; }
  Status Flush() override {
    if (!dirty_) return Status::Ok();
    Status status = writer_->Flush();
    if (status.ok()) dirty_ = false;
    return status;
  }
  // Called on the strand only (the engine syncs WARC files at the end of a
  // crawl, not from the sink thread): the writer rotates files on the strand.
  Status Sync() override { return writer_->Sync(); }

 private:
  std::unique_ptr<WarcWriter> writer_;
  std::string directory_;
  bool dirty_ = false;
};

}  // namespace

Result<std::unique_ptr<Sink>> OpenSink(const SinkConfig& config) {
  switch (config.kind) {
    case SinkKind::kJsonl: {
      auto sink = JsonlSink::Open(config);
      if (!sink.ok()) return sink.status();
      return std::unique_ptr<Sink>(std::move(*sink));
    }
    case SinkKind::kSqlite: {
      auto store = SqliteArticleStore::Open(config.path);
      if (!store.ok()) return store.status();
      return std::unique_ptr<Sink>(new SqliteSink(config, std::move(*store)));
    }
    case SinkKind::kWarc: {
      std::error_code ec;
      const std::string directory = std::filesystem::absolute(config.path, ec).string();
      if (ec) return Status(ErrorCode::kIo, config.path + ": cannot resolve against the working directory: " + ec.message());
      WarcOptions options;
      options.directory = directory;
      options.max_file_bytes = config.rotate_size;
      options.gzip = config.gzip;
      options.description = "sink '" + config.name + "'";
      auto writer = WarcWriter::Open(options);
      if (!writer.ok()) return writer.status();
      return std::unique_ptr<Sink>(new WarcSink(config, std::move(*writer), directory));
    }
  }
  return Status(ErrorCode::kConfig, "unknown sink type");
}

}  // namespace newshound::sink
