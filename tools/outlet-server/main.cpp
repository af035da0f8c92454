// outlet-server: serves a directory tree as a news site on a local address,
// over HTTP and/or HTTPS, for newshound's integration tests and benchmarks.
// See README.md beside this file.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compressing_responder.h"
#include "compression.h"
#include "request_log.h"
#include "responder.h"
#include "script.h"
#include "scripted_responder.h"
#include "server.h"
#include "tls_material.h"
#include "wrong_name_tls.h"

namespace newshound::outlet {
namespace {

namespace fs = std::filesystem;

constexpr char kLogFormatHelp[] =
    "Request log (--log): one line per response, TAB-separated, flushed\n"
    "before the response is sent:\n"
    "  time     ISO 8601 UTC with ms, e.g. 2024-05-01T12:34:56.789Z\n"
    "  method   GET, HEAD, ... ('-' for an unparsable request)\n"
    "  host     Host header ('-' if absent)\n"
    "  target   request target with query ('-' if unparsable)\n"
    "  status   response status code (0: --respond close, stall or reset)\n"
    "  bytes    response body bytes as sent (0 for HEAD and gzip bombs; only\n"
    "           the half sent for short and reset-body)\n"
    "  conn     connection id, 1, 2, ... per accepted TCP connection\n"
    "  scheme   http or https\n"
    "Ready file (--ready-file): 'http_port=N\\nhttps_port=M\\n', 0 for a scheme\n"
    "not served, written atomically once listening.\n"
    "\n"
    "Scripted responses (--respond 'PATTERN=STEP[,STEP...]', repeatable):\n"
    "  PATTERN  [HOST@]PATH[*]: PATH as sent, without query, exact or (with\n"
    "           a trailing *) a prefix; HOST@ limits it to that Host header\n"
    "           (port ignored). The first matching --respond decides.\n"
    "  STEP     STATUS[+Name:Value...]  that status (200-599) with a short\n"
    "                                   HTML body (none for 204/304)\n"
    "           serve                   serve the request normally\n"
    "           close                   close without answering (FIN)\n"
    "           stall                   never answer, keep the connection\n"
    "           reset                   reset (RST) without answering\n"
    "    What serve would send, broken on the wire:\n"
    "           reset-body              headers (Content-Length of the whole\n"
    "                                   body), the first half of the body,\n"
    "                                   then RST\n"
    "           short                   the same, then a clean close (FIN)\n"
    "           drip[:RATE]             all of it, RATE bytes a second\n"
    "                                   (default 1; bytes or KiB/MiB, at\n"
    "                                   most 1GiB), then keep-alive as usual\n"
    "           bad-chunk               Transfer-Encoding: chunked, the first\n"
    "                                   half as one chunk, then the size line\n"
    "                                   'zz', the rest, CRLF 0 CRLF CRLF, close\n"
    "           bad-header              the line 'Bad header line without\n"
    "                                   colon' right after the status line\n"
    "           bad-charset             charset=utf-8 in Content-Type, and\n"
    "                                   right after <body...> (or first) the\n"
    "                                   invalid UTF-8 C3 28, FF, C0 AF,\n"
    "                                   ED A0 80 and E2 82, each in [ ]\n"
    "    200, text/html; charset=utf-8, the body made while it is sent:\n"
    "           huge:SIZE               SIZE bytes (bytes or KiB/MiB/GiB),\n"
    "                                   uncompressed, with Content-Length\n"
    "           bomb:SIZE               chunked gzip of SIZE zeros, as --bomb\n"
    "           deep:DEPTH              DEPTH nested <div>s (at most 10^9);\n"
    "                                   links /deep/top.html before them,\n"
    "                                   /deep/inner.html inside and\n"
    "                                   /deep/bottom.html after\n"
    "    At the end:\n"
    "           ...                     repeat the previous step forever\n"
    "           ~                       start again from the first step\n"
    "  All steps but close, stall and reset take +Name:Value headers. One\n"
    "  step per request, counted per (host, pattern); once used up the\n"
    "  request is served normally. Backslash escapes ',', '+', '=', '*' and\n"
    "  itself. Logged like any request: status 0 and bytes 0 for close,\n"
    "  stall and reset; the body bytes sent for short and reset-body (half);\n"
    "  the whole body for drip and bad-chunk (logged before the first byte,\n"
    "  chunk framing not counted); SIZE or the page size for huge and deep;\n"
    "  0 for bomb. E.g.\n"
    "    --respond '/news/=429+Retry-After:2'\n"
    "    --respond 'b.test@/robots.txt=503+Retry-After:120,...'\n"
    "    --respond '/slow/*=stall'   --respond '/x=serve,500'\n"
    "    --respond '/flaky=500,serve,~'         500, 200, 500, 200, ...\n"
    "    --respond '/a=302+Location:/b,...' --respond '/b=302+Location:/a,...'\n"
    "                                           a redirect loop a, b, a, ...\n"
    "    --respond '/big.html=huge:1GiB'  --respond '/article.html=drip:1'\n"
    "  serve+Name:Value serves the file with those headers, e.g.\n"
    "    --respond '/raw.html=serve+Content-Encoding:gzip'\n"
    "\n"
    "Wrong certificate name (--tls-wrong-name HOST, with --tls-generate):\n"
    "a TLS client whose server name (SNI) is HOST gets a certificate from\n"
    "the same CA for wrong-name.invalid only (DIR/wrong-name.pem): the chain\n"
    "verifies, the hostname does not. Per host, not per path: the\n"
    "certificate is chosen in the handshake, before any request is read.\n"
    "\n"
    "Compression (--compress): HTML, XML, CSS, JS, text and JSON responses\n"
    "are compressed with the coding of --codings (default br,gzip,deflate,\n"
    "the order breaking ties) that the request's Accept-Encoding rates\n"
    "highest (q=0: never), with Vary: Accept-Encoding. --codings names:\n"
    "br, gzip, x-gzip (sent as x-gzip), deflate, deflate-raw (raw RFC 1951\n"
    "data sent as deflate, like some broken servers). Steps that serve the\n"
    "file are compressed before they break it; huge, deep and bomb never.\n"
    "Bombs (--bomb PATH=SIZE, repeatable): GET PATH answers 200 with a\n"
    "chunked gzip of SIZE zero bytes (bytes, or KiB/MiB/GiB), generated as\n"
    "it is sent, e.g. --bomb /bomb.html=1GiB. Logged with bytes 0.\n";

struct CliOptions {
  fs::path root;
  std::string listen = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint16_t tls_port = 0;
  bool no_http = false;
  fs::path tls_cert;
  fs::path tls_key;
  fs::path tls_generate;
  std::vector<std::string> tls_names;
  std::vector<std::string> tls_wrong_names;
  fs::path log;
  fs::path ready_file;
  int delay_ms = 0;
  bool no_charset = false;
  std::vector<std::string> respond;
  bool compress = false;
  std::string codings;
  std::vector<std::string> bomb;
};

bool WriteReadyFile(const fs::path& path, std::uint16_t http_port,
                    std::uint16_t https_port, std::string& error) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << "http_port=" << http_port << "\nhttps_port=" << https_port << "\n";
    out.close();
    if (!out) {
      error = "cannot write " + temp.string();
      return false;
    }
  }
  // Rename is atomic, so a waiting script never reads a half-written file.
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    error = "cannot rename " + temp.string() + " to " + path.string() + ": " +
            ec.message();
    return false;
  }
  return true;
}

std::string UrlHost(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]"
                         : address.to_string();
}

// The names the generated certificate must cover: --tls-names (IP literals
// among them go to the IP entries), 127.0.0.1, and the listen address when it
// is a specific other one.
void CertificateNames(const CliOptions& cli, const asio::ip::address& listen,
                      std::vector<std::string>& dns_names,
                      std::vector<std::string>& ip_addrs) {
  auto add_ip = [&](const std::string& ip) {
    if (std::find(ip_addrs.begin(), ip_addrs.end(), ip) == ip_addrs.end()) {
      ip_addrs.push_back(ip);
    }
  };
  for (const std::string& name : cli.tls_names) {
    if (name.empty()) continue;
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(name, ec);
    if (ec) {
      dns_names.push_back(name);
    } else {
      add_ip(address.to_string());
    }
  }
  add_ip("127.0.0.1");
  if (!listen.is_unspecified()) add_ip(listen.to_string());
}

std::unique_ptr<asio::ssl::context> MakeTlsContext(const TlsFiles& files,
                                                   std::string& error) {
  auto context =
      std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds |
                       asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 |
                       asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(files.cert.string(), ec);
  if (ec) {
    error = "cannot load certificate " + files.cert.string() + ": " +
            ec.message();
    return nullptr;
  }
  context->use_private_key_file(files.key.string(), asio::ssl::context::pem,
                                ec);
  if (ec) {
    error = "cannot load key " + files.key.string() + ": " + ec.message();
    return nullptr;
  }
  return context;
}

int Run(const CliOptions& cli, std::vector<ScriptRule> script,
        std::vector<Coding> codings, std::vector<BombRule> bombs,
        bool serve_https) {
  boost::system::error_code ec;
  asio::ip::address listen = asio::ip::make_address(cli.listen, ec);
  if (ec) {
    std::fprintf(stderr, "outlet-server: --listen: not an IP address: %s\n",
                 cli.listen.c_str());
    return 2;
  }

  std::string error;
  std::unique_ptr<asio::ssl::context> tls;
  if (serve_https) {
    TlsFiles files{cli.tls_cert, cli.tls_key, {}, false};
    if (!cli.tls_generate.empty()) {
      std::vector<std::string> dns_names;
      std::vector<std::string> ip_addrs;
      CertificateNames(cli, listen, dns_names, ip_addrs);
      if (!PrepareGeneratedTls(cli.tls_generate, dns_names, ip_addrs, files,
                               error)) {
        std::fprintf(stderr, "outlet-server: --tls-generate: %s\n",
                     error.c_str());
        return 1;
      }
    }
    tls = MakeTlsContext(files, error);
    if (!tls) {
      std::fprintf(stderr, "outlet-server: %s\n", error.c_str());
      return 1;
    }
  }
  // Before the io_context: handshakes call into it.
  std::optional<WrongNameTls> wrong_name;
  if (!cli.tls_wrong_names.empty()) {
    TlsFiles wrong_files;
    if (!PrepareWrongNameTls(cli.tls_generate, wrong_files, error)) {
      std::fprintf(stderr, "outlet-server: --tls-wrong-name: %s\n",
                   error.c_str());
      return 1;
    }
    std::unique_ptr<asio::ssl::context> wrong =
        MakeTlsContext(wrong_files, error);
    if (!wrong) {
      std::fprintf(stderr, "outlet-server: %s\n", error.c_str());
      return 1;
    }
    wrong_name.emplace(cli.tls_wrong_names, std::move(wrong));
    wrong_name->Install(*tls);
  }

  std::unique_ptr<RequestLog> log;
  if (!cli.log.empty()) {
    log = RequestLog::Open(cli.log, error);
    if (!log) {
      std::fprintf(stderr, "outlet-server: %s\n", error.c_str());
      return 1;
    }
  }

  FileResponder files(FileResponderOptions{cli.root, !cli.no_charset});
  std::optional<ScriptedResponder> scripted;
  if (!script.empty()) scripted.emplace(std::move(script), files);
  Responder* responder = &files;
  if (scripted) responder = &*scripted;
  std::optional<BombResponder> bomb;
  if (!bombs.empty()) {
    bomb.emplace(std::move(bombs), *responder);
    responder = &*bomb;
  }
  // Outermost, so scripted status pages are compressed too (unless the
  // script set a Content-Encoding of its own).
  std::optional<CompressingResponder> compressing;
  if (cli.compress) {
    compressing.emplace(std::move(codings), *responder);
    responder = &*compressing;
  }

  ServerOptions options;
  options.listen_address = listen;
  options.serve_http = !cli.no_http;
  options.http_port = cli.port;
  options.serve_https = serve_https;
  options.https_port = cli.tls_port;
  options.delay = std::chrono::milliseconds(cli.delay_ms);

  // Declared after what the connection coroutines refer to (responder, log,
  // TLS context): destroying the io_context destroys coroutine frames still
  // suspended at shutdown, and those must find their referents alive. The
  // server goes first; frame destructors do not touch it.
  asio::io_context io(1);
  Server server(io, options, *responder, log.get(), tls.get());
  if (!server.Listen(error)) {
    std::fprintf(stderr, "outlet-server: %s\n", error.c_str());
    return 1;
  }
  // Armed before the ports are announced: a client may stop the server the
  // moment it reads them, and a SIGTERM before the handler would kill the
  // process by signal instead of stopping it with status 0.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& wait_error, int) {
    if (wait_error) return;
    server.Stop();
    io.stop();
  });
  server.Start();

  if (server.http_port() != 0) {
    std::printf("listening http://%s:%u\n", UrlHost(listen).c_str(),
                static_cast<unsigned>(server.http_port()));
  }
  if (server.https_port() != 0) {
    std::printf("listening https://%s:%u\n", UrlHost(listen).c_str(),
                static_cast<unsigned>(server.https_port()));
  }
  std::fflush(stdout);
  if (!cli.ready_file.empty() &&
      !WriteReadyFile(cli.ready_file, server.http_port(), server.https_port(),
                      error)) {
    std::fprintf(stderr, "outlet-server: --ready-file: %s\n", error.c_str());
    return 1;
  }

  io.run();
  return 0;
}

}  // namespace
}  // namespace newshound::outlet

int main(int argc, char** argv) {
  using newshound::outlet::CliOptions;
  CliOptions cli;
  CLI::App app{
      "outlet-server: serves a directory tree as a website on a local "
      "address over HTTP and/or HTTPS (for newshound's tests)."};
  app.footer(newshound::outlet::kLogFormatHelp);

  app.add_option("--root", cli.root,
                 "Document root; a URL path ending in / maps to index.html")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--listen", cli.listen, "IP address to listen on")
      ->capture_default_str();
  app.add_option("--port", cli.port, "HTTP port (0 = pick a free one)")
      ->capture_default_str();
  auto* tls_port =
      app.add_option("--tls-port", cli.tls_port,
                     "HTTPS port (0 = pick a free one); needs TLS material");
  auto* no_http =
      app.add_flag("--no-http", cli.no_http, "Serve HTTPS only");
  auto* tls_cert = app.add_option("--tls-cert", cli.tls_cert,
                                  "Server certificate chain (PEM)")
                       ->check(CLI::ExistingFile);
  auto* tls_key = app.add_option("--tls-key", cli.tls_key,
                                 "Server private key (PEM)")
                      ->check(CLI::ExistingFile);
  auto* tls_generate = app.add_option(
      "--tls-generate", cli.tls_generate,
      "Directory for a generated test CA and server certificate (ca.pem, "
      "ca-key.pem, server.pem, server-key.pem), reused when present");
  auto* tls_names =
      app.add_option("--tls-names", cli.tls_names,
                     "Comma-separated DNS names for the generated "
                     "certificate (default localhost; 127.0.0.1 is always included)")
          ->delimiter(',');
  auto* tls_wrong_name = app.add_option(
      "--tls-wrong-name", cli.tls_wrong_names,
      "Clients whose TLS server name (SNI) is HOST get a certificate from "
      "the generated CA for another name (repeatable; per host, not per "
      "path: see below)")
      ->allow_extra_args(false);
  app.add_option("--log", cli.log,
                 "Append one TAB-separated line per request (format below)");
  app.add_option("--ready-file", cli.ready_file,
                 "Write the bound ports here once listening");
  app.add_option("--delay-ms", cli.delay_ms,
                 "Delay before sending each response, in milliseconds")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-charset", cli.no_charset,
               "Serve HTML and XML without a charset parameter (the "
               "in-document declaration decides)");
  app.add_option("--respond", cli.respond,
                 "Scripted responses for matching paths, one step per "
                 "request, e.g. '/news/=429+Retry-After:2' (repeatable; "
                 "grammar below)")
      ->allow_extra_args(false);
  auto* compress = app.add_flag(
      "--compress", cli.compress,
      "Compress text responses per the request's Accept-Encoding (br > "
      "gzip > deflate), with Vary: Accept-Encoding");
  app.add_option("--codings", cli.codings,
                 "With --compress: the codings offered, in order of "
                 "preference (br, gzip, x-gzip, deflate, deflate-raw; "
                 "default br,gzip,deflate)")
      ->needs(compress);
  app.add_option("--bomb", cli.bomb,
                 "Answer PATH with a gzip of SIZE zero bytes, streamed, "
                 "e.g. /bomb.html=1GiB (repeatable)")
      ->allow_extra_args(false);

  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  tls_generate->excludes(tls_cert)->excludes(tls_key);
  tls_names->needs(tls_generate);
  tls_wrong_name->needs(tls_generate);

  CLI11_PARSE(app, argc, argv);

  bool serve_https = !cli.tls_cert.empty() || !cli.tls_generate.empty();
  if (cli.no_http && !serve_https) {
    std::fprintf(stderr, "outlet-server: %s needs TLS material\n",
                 no_http->get_name().c_str());
    return 2;
  }
  if (tls_port->count() > 0 && !serve_https) {
    std::fprintf(stderr,
                 "outlet-server: --tls-port needs --tls-cert/--tls-key or "
                 "--tls-generate\n");
    return 2;
  }
  for (const std::string& host : cli.tls_wrong_names) {
    if (auto why = newshound::outlet::WrongNameTls::Invalid(host)) {
      std::fprintf(stderr, "outlet-server: --tls-wrong-name '%s': %s\n",
                   host.c_str(), why->c_str());
      return 2;
    }
  }
  if (!cli.tls_generate.empty() && cli.tls_names.empty()) {
    cli.tls_names.push_back("localhost");
  }
  std::vector<newshound::outlet::ScriptRule> script;
  for (const std::string& spec : cli.respond) {
    std::string error;
    std::optional<newshound::outlet::ScriptRule> rule =
        newshound::outlet::ParseScriptRule(spec, error);
    if (!rule) {
      std::fprintf(stderr, "outlet-server: --respond '%s': %s\n",
                   spec.c_str(), error.c_str());
      return 2;
    }
    script.push_back(std::move(*rule));
  }
  std::vector<newshound::outlet::Coding> codings =
      newshound::outlet::DefaultCodings();
  if (!cli.codings.empty()) {
    std::string error;
    auto parsed = newshound::outlet::ParseCodings(cli.codings, error);
    if (!parsed) {
      std::fprintf(stderr, "outlet-server: --codings '%s': %s\n",
                   cli.codings.c_str(), error.c_str());
      return 2;
    }
    codings = std::move(*parsed);
  }
  std::vector<newshound::outlet::BombRule> bombs;
  for (const std::string& spec : cli.bomb) {
    std::string error;
    auto rule = newshound::outlet::ParseBombRule(spec, error);
    if (!rule) {
      std::fprintf(stderr, "outlet-server: --bomb '%s': %s\n", spec.c_str(),
                   error.c_str());
      return 2;
    }
    bombs.push_back(std::move(*rule));
  }
  // Writes to a client that went away must fail with EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  return newshound::outlet::Run(cli, std::move(script), std::move(codings),
                                std::move(bombs), serve_https);
}
