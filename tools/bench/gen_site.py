#!/usr/bin/python3
"""Generate the synthetic multi-host news site that tools/bench crawls.

Deterministic from --seed: the same arguments give byte-identical files.

Layout of OUT (one directory per host, news1 ... newsN):

  newsI/robots.txt                      allow all, a Sitemap line
  newsI/sitemap.xml                     every article, with <lastmod>
  newsI/index.html                      home: links to /news/
  newsI/news/index.html                 listing page 1 (/news/)
  newsI/news/page/K/index.html          listing page K (/news/page/K/)
  newsI/articles/YYYY/MM/DD/ID-slug.html  one article
  expected.jsonl                        {"url", "host", "title", "published"} per article
  site.json                             the parameters, and page counts

Host I is served as http://newsI.<domain>:<port>/ (the URLs in
robots.txt, sitemap.xml and expected.jsonl); pages link by path only.
Listing pages carry --per-page article links (newest first) in <main>, a
"most read" sidebar of links to other articles, and <a rel="next"> to the
following page (none on the last).
"""
import argparse
import datetime
import html
import json
import os
import random
import sys

WORDS = """
government minister council city region market bank election parliament
report budget school hospital police court river port festival museum
company union strike energy water transport railway airport harbour coast
village farmers harvest weather storm drought rain summer winter spring
autumn football league final coach players team season record victory
defeat talks agreement treaty border trade exports prices inflation growth
workers salaries housing rents students teachers doctors nurses patients
research university science study climate forest wildlife park tourism
visitors hotel heritage mosque church library theatre film music artist
novel award prize jury ceremony opening closing plan project bridge road
tunnel station line service delays passengers officials residents local
national international regional annual new old major minor key early late
says announces warns plans opens closes launches backs rejects approves
cuts raises expands delays welcomes faces seeks wins loses signs
""".split()

SECTIONS = ["politics", "economy", "sport", "culture", "world", "science"]
BASE_TIME = datetime.datetime(2024, 6, 30, 18, 0, 0, tzinfo=datetime.timezone.utc)


def sentence(rng, lo, hi):
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng):
    return " ".join(sentence(rng, 8, 18) for _ in range(rng.randint(3, 5)))


def title_of(rng):
    words = rng.choices(WORDS, k=rng.randint(6, 10))
    return words[0].capitalize() + " " + " ".join(words[1:])


def head(title, host_name, canonical=None):
    canon = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} | {host_name}</title>
{canon}
<link rel="stylesheet" href="/static/site.css">
<script src="/static/site.js" defer></script>
</head>
<body>
<header class="site-header">
<a class="logo" href="/"><img src="/static/logo.png" alt="{host_name}"></a>
<nav class="main-nav"><ul>
<li><a href="/">Home</a></li>
<li><a href="/news/">Latest</a></li>
""" + "".join(f'<li><a href="/news/?section={s}">{s.capitalize()}</a></li>\n' for s in SECTIONS) + """</ul></nav>
<form class="search" action="/search"><input type="search" name="q" placeholder="Search"><button>Go</button></form>
</header>
"""


def footer(host_name):
    return f"""<footer class="site-footer">
<ul class="footer-links">
<li><a href="/about.html">About us</a></li><li><a href="/contact.html">Contact</a></li>
<li><a href="/privacy.html">Privacy policy</a></li><li><a href="/terms.html">Terms of use</a></li>
<li><a href="/advertise.html">Advertise</a></li><li><a href="/sitemap.xml">Sitemap</a></li>
</ul>
<p class="copyright">&copy; 2024 {host_name}. All rights reserved. Reproduction without permission is prohibited.</p>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date());</script>
</footer>
</body>
</html>
"""


def sidebar(rng, articles, count=10):
    picks = rng.sample(range(len(articles)), min(count, len(articles)))
    items = "".join(
        f'<li><a href="{articles[k]["path"]}">{html.escape(articles[k]["title"])}</a></li>\n' for k in picks)
    return f"""<aside class="sidebar">
<section class="most-read"><h2>Most read</h2><ol>
{items}</ol></section>
<section class="newsletter"><h2>Newsletter</h2><p>Get the day's top stories in your inbox every morning.</p>
<form action="/newsletter"><input type="email" name="email"><button>Subscribe</button></form></section>
<div class="ad ad-sidebar" data-slot="sidebar-1"></div>
</aside>
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate_host(out, index, args, expected):
    rng = random.Random(f"{args.seed}/{index}")
    host_name = f"news{index}.{args.domain}"
    origin = f"http://{host_name}:{args.port}"
    root = os.path.join(out, f"news{index}")
    # Articles, newest first: article 0 is the newest.
    articles = []
    for k in range(args.articles):
        when = BASE_TIME - datetime.timedelta(minutes=37 * k + rng.randint(0, 30), seconds=rng.randint(0, 59))
        title = title_of(rng)
        slug = "-".join(title.lower().split()[:6])
        ident = 100000 + k
        path = f"/articles/{when:%Y/%m/%d}/{ident}-{slug}.html"
        articles.append({"id": ident, "title": title, "when": when, "path": path,
                         "section": rng.choice(SECTIONS)})

    for k, a in enumerate(articles):
        iso = a["when"].strftime("%Y-%m-%dT%H:%M:%SZ")
        shown = a["when"].strftime("%d %B %Y, %H:%M")
        body = "".join(f"<p>{paragraph(rng)}</p>\n" for _ in range(rng.randint(4, 6)))
        page = head(a["title"], host_name, origin + a["path"]) + f"""<div class="container">
<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/news/?section={a["section"]}">{a["section"].capitalize()}</a></nav>
<main class="content">
<article class="story" data-article-id="{a["id"]}">
<h1 class="story-title">{html.escape(a["title"])}</h1>
<p class="byline">By <a rel="author" href="/authors/staff">Staff reporter</a> &middot; <time datetime="{iso}">{shown}</time></p>
<figure class="lead-image"><img src="/static/img/{a["id"]}.jpg" alt=""><figcaption>Photo: agency</figcaption></figure>
<div class="article-body">
{body}</div>
<div class="share"><a href="https://twitter.com/share">Share</a> <a href="https://facebook.com/share">Share</a></div>
</article>
</main>
{sidebar(rng, articles)}</div>
""" + footer(host_name)
        write(os.path.join(root, a["path"].lstrip("/")), page)
        expected.append({"url": origin + a["path"], "host": host_name, "title": a["title"], "published": iso})

    pages = max(1, (len(articles) + args.per_page - 1) // args.per_page)
    for p in range(1, pages + 1):
        chunk = articles[(p - 1) * args.per_page:p * args.per_page]
        items = "".join(
            f'<li class="teaser"><h2><a href="{a["path"]}">{html.escape(a["title"])}</a></h2>'
            f'<time datetime="{a["when"]:%Y-%m-%dT%H:%M:%SZ}">{a["when"]:%d %b %Y}</time></li>\n' for a in chunk)
        pager = ""
        if p > 1:
            prev = "/news/" if p == 2 else f"/news/page/{p - 1}/"
            pager += f'<a rel="prev" href="{prev}">Previous</a> '
        if p < pages:
            pager += f'<a rel="next" href="/news/page/{p + 1}/">Next</a>'
        url_path = "/news/" if p == 1 else f"/news/page/{p}/"
        page = head(f"Latest news, page {p}", host_name, origin + url_path) + f"""<div class="container">
<main class="content listing">
<h1>Latest news</h1>
<ul class="teasers">
{items}</ul>
<nav class="pagination">{pager}</nav>
</main>
{sidebar(rng, articles)}</div>
""" + footer(host_name)
        write(os.path.join(root, url_path.lstrip("/"), "index.html"), page)

    write(os.path.join(root, "index.html"), head(host_name, host_name) +
          '<main><p><a href="/news/">Latest news</a></p></main>\n' + footer(host_name))
    write(os.path.join(root, "robots.txt"), f"User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n")
    entries = "".join(f"<url><loc>{origin}{a['path']}</loc><lastmod>{a['when']:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>\n"
                      for a in articles)
    write(os.path.join(root, "sitemap.xml"), '<?xml version="1.0" encoding="UTF-8"?>\n'
          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")
    return pages


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--articles", type=int, default=2500, help="articles per host")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--domain", default="bench.test")
    ap.add_argument("--per-page", type=int, default=20)
    args = ap.parse_args()
    if args.hosts < 1 or args.articles < 1:
        sys.exit("gen_site: --hosts and --articles must be at least 1")
    expected = []
    listing_pages = 0
    for i in range(1, args.hosts + 1):
        listing_pages += generate_host(args.out, i, args, expected)
    with open(os.path.join(args.out, "expected.jsonl"), "w", encoding="utf-8") as f:
        for e in expected:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    info = {k: v for k, v in vars(args).items() if k != "out"} | {"listing_pages": listing_pages, "article_pages": len(expected)}
    with open(os.path.join(args.out, "site.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"generated {args.hosts} hosts, {len(expected)} articles, {listing_pages} listing pages in {args.out}")


if __name__ == "__main__":
    main()
