// Reads a WARC file (gzip per record, or plain) with warcio, an independent
// reader, and prints one JSON line per record, in file order:
//
//   {"index": 0, "type": "response",
//    "warc_headers": [["WARC-Type", "response"], ...],   // in file order
//    "http": {"statusline": "HTTP/1.1 200 OK", "headers": [[name, value], ...]} | null,
//    "block_length": N, "block_sha1_b32": "...",         // the whole record block
//    "payload_b64": "...", "payload_sha1_b32": "...",    // the block after the HTTP head, as stored
//    "content_b64": "..."}                               // the payload as warcio decodes it
//                                                        // (Transfer-Encoding and Content-Encoding undone)
//
// Digests are computed here with node's own crypto, not read from the file,
// so the test can compare them with WARC-Block-Digest / WARC-Payload-Digest.
// Exit status: 0 read, 1 the file could not be parsed, 2 usage or warcio
// not installed (run tools/install-warc-reader).
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";

let WARCParser;
try {
  ({ WARCParser } = await import("warcio"));
} catch (e) {
  process.stderr.write(
    `read_warc.mjs: cannot load the npm package warcio (${e.message}); ` +
      "install it with tools/install-warc-reader\n",
  );
  process.exit(2);
}

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node read_warc.mjs FILE.warc[.gz]\n");
  process.exit(2);
}

// RFC 4648 base32, upper case, no padding for 20-byte SHA-1 digests (the
// form WARC writers and readers use for sha1:).
function base32(bytes) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}

const sha1b32 = (bytes) => base32(createHash("sha1").update(bytes).digest());

function pairs(headers) {
  return [...headers].map(([name, value]) => [name, value]);
}

async function readRecords(parseHttp) {
  const parser = new WARCParser(createReadStream(file), { keepHeadersCase: true, parseHttp });
  const out = [];
  for await (const record of parser) {
    const entry = {
      type: record.warcType,
      warc_headers: pairs(record.warcHeaders.headers),
    };
    const raw = await record.readFully(false);
    if (parseHttp) {
      entry.http = record.httpHeaders
        ? { statusline: record.httpHeaders.statusline, headers: pairs(record.httpHeaders.headers) }
        : null;
      entry.payload_b64 = Buffer.from(raw).toString("base64");
      entry.payload_sha1_b32 = sha1b32(raw);
      if (record.httpHeaders) {
        const content = await record.readFully(true);
        entry.content_b64 = Buffer.from(content).toString("base64");
      }
    } else {
      entry.block_length = raw.length;
      entry.block_sha1_b32 = sha1b32(raw);
    }
    out.push(entry);
  }
  return out;
}

try {
  // Twice: once for the blocks whole, once with the HTTP heads parsed.
  const blocks = await readRecords(false);
  const records = await readRecords(true);
  if (blocks.length !== records.length) {
    throw new Error(`${blocks.length} blocks but ${records.length} records`);
  }
  records.forEach((record, index) => {
    const line = {
      index,
      ...record,
      block_length: blocks[index].block_length,
      block_sha1_b32: blocks[index].block_sha1_b32,
    };
    process.stdout.write(JSON.stringify(line) + "\n");
  });
} catch (e) {
  process.stderr.write(`read_warc.mjs: ${file}: ${e.stack || e.message}\n`);
  process.exit(1);
}
