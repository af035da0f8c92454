#!/usr/bin/python3
"""The Scrapy side of `tools/bench --compare scrapy`.

Crawls the generated site exactly as plugins/bench does: start at /news/ of
every host; a listing gives every /articles/ link on the page and its
rel=next page; an article gives url, title, published and body (XPath).
Host names reach the local server through a resolver that pins
newsI.bench.test to its 127.0.0.x address, so both crawlers fetch the same
URLs with the same Host headers.

  scrapy_spider.py --pins PINS.json --start URL... --out ITEMS.jsonl --stats STATS.json

PINS.json maps host name to IP address.
"""
import argparse
import json
import sys

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

PINS = {}


class PinnedResolver(CachingThreadedResolver):
    """Answers the bench host names from PINS, anything else as usual."""

    def getHostByName(self, name, timeout=None):
        address = PINS.get(name.lower())
        if address is not None:
            return defer.succeed(address)
        return super().getHostByName(name, timeout)


class BenchSpider(Spider):
    name = "bench"

    def __init__(self, start=(), **kwargs):
        super().__init__(**kwargs)
        self.start = list(start)

    def start_requests(self):
        for url in self.start:
            yield Request(url, callback=self.parse_listing)

    def parse_listing(self, response):
        for href in response.xpath("//a[starts-with(@href, '/articles/')]/@href").getall():
            yield response.follow(href, callback=self.parse_article)
        next_href = response.xpath("//a[@rel='next']/@href").get()
        if next_href:
            yield response.follow(next_href, callback=self.parse_listing)

    def parse_article(self, response):
        article = response.xpath("//article")
        if not article:
            return
        paragraphs = [" ".join(p.split()) for p in
                      (" ".join(n.xpath(".//text()").getall()) for n in
                       article.xpath(".//div[contains(concat(' ', normalize-space(@class), ' '), ' article-body ')]//p"))]
        yield {
            "url": response.url,
            "title": article.xpath("normalize-space(.//h1)").get(),
            "published": article.xpath(".//time/@datetime").get(),
            "body": "\n\n".join(p for p in paragraphs if p),
        }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pins", required=True)
    ap.add_argument("--start", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--per-host", type=int, default=8)
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()
    with open(args.pins) as f:
        PINS.update({k.lower(): v for k, v in json.load(f).items()})

    settings = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
        "DOWNLOAD_DELAY": args.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DNS_RESOLVER": PinnedResolver,
        "USER_AGENT": "scrapy-bench/2.8",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "FEEDS": {args.out: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BenchSpider)
    process.crawl(crawler, start=args.start)
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
    with open(args.stats, "w") as f:
        json.dump(stats, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
