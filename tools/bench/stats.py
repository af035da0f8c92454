#!/usr/bin/python3
"""Request logs of the bench server, and the per-host gap statistics.

Reads either log:
  nginx (nginx.conf.in's `bench` format):
    $msec $request_time $host $server_addr $server_port $status $bytes ...
    start of a request = $msec - $request_time
  outlet-server (--log, one file per host):
    time(ISO, ms) method host target status bytes conn scheme
    written just before the response goes out, after --delay-ms, so the
    start is time - delay.

  stats.py gaps LOG [--delay 0.25] [--skip N]    print the gap table of a log
"""
import argparse
import bisect
import datetime
import math


class Request:
    __slots__ = ("start", "host", "status", "bytes")

    def __init__(self, start, host, status, nbytes):
        self.start = start
        self.host = host
        self.status = status
        self.bytes = nbytes


def _host_of(host):
    # Host header without port, lower case.
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


def read_nginx(path, skip_lines=0):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f):
            if n < skip_lines:
                continue
            parts = line.split(" ", 7)
            if len(parts) < 7:
                continue
            try:
                end = float(parts[0])
                took = float(parts[1])
                out.append(Request(end - took, _host_of(parts[2]), int(parts[5]), int(parts[6])))
            except ValueError:
                continue
    return out


def read_outlet(path, delay_s=0.0, skip_lines=0):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f):
            if n < skip_lines:
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 6:
                continue
            try:
                when = datetime.datetime.fromisoformat(parts[0].replace("Z", "+00:00")).timestamp()
                out.append(Request(when - delay_s, _host_of(parts[2]), int(parts[4]), int(parts[5])))
            except ValueError:
                continue
    return out


def read_capture(path, hosts):
    """tcpdump -tt -n lines of requests (bench's WireCapture): the time a
    request's first segment crossed lo, the host by destination address.
    `hosts`: address -> host name."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            # 1796348036.550399 IP 127.0.0.1.45678 > 127.0.0.11.18080: Flags [P.], ...
            parts = line.split(" ", 5)
            if len(parts) < 5 or parts[1] != "IP" or parts[3] != ">":
                continue
            try:
                when = float(parts[0])
            except ValueError:
                continue
            addr = parts[4].rstrip(":").rsplit(".", 1)[0]
            if addr in hosts:
                out.append(Request(when, hosts[addr], 0, 0))
    return out


def nginx_in_flight(path, skip_lines=0, launched=None, exited=None, bucket_s=0.25):
    """Server-side view of one crawl from nginx's log: TCP connections used,
    requests in flight (mean, peak, and the mean per bucket_s), mean response
    time, and the gaps between the crawler's launch and its first request and
    between the last response and its exit (wall clock, ms resolution)."""
    spans = []
    conns = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f):
            if n < skip_lines:
                continue
            parts = line.split(" ", 9)
            if len(parts) < 9:
                continue
            try:
                end = float(parts[0])
                spans.append((end - float(parts[1]), end))
                conns.add(parts[7])
            except ValueError:
                continue
    if not spans:
        return None
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    span = max(last - first, 1e-3)
    busy = sum(e - s for s, e in spans)
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    peak = cur = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    nb = int(span / bucket_s) + 1
    profile = [0.0] * nb
    for s, e in spans:  # time each request overlaps each bucket
        b = int((s - first) / bucket_s)
        while b < nb:
            lo = first + b * bucket_s
            hi = lo + bucket_s
            overlap = min(e, hi) - max(s, lo)
            if overlap <= 0 and lo >= e:
                break
            profile[b] += max(overlap, 0.0)
            b += 1
    return {
        "requests": len(spans), "connections": len(conns),
        "requests_per_connection": len(spans) / len(conns),
        "span_s": round(span, 3), "mean_in_flight": round(busy / span, 1), "peak_in_flight": peak,
        "mean_request_ms": round(busy / len(spans) * 1000, 2),
        "first_request_after_s": round(first - launched, 3) if launched else None,
        "exit_after_last_s": round(exited - last, 3) if exited else None,
        "in_flight_profile": [round(x / bucket_s) for x in profile],
    }


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def gap_stats(requests, delay_s, resolution_s=0.002):
    """Per host and overall: gaps between consecutive request starts.

    Returns {"hosts": {host: row}, "overall": row, "resolution": resolution_s};
    a row has requests, gaps, min/p1/median gap (s), below (gaps < delay),
    below_res (gaps < delay - resolution: how far each start may be off, ~2
    ms for the ms log), rate (requests/s over the host's span) and, overall,
    ideal_rate (hosts / delay) and the achieved share of it.
    """
    by_host = {}
    for r in requests:
        by_host.setdefault(r.host, []).append(r.start)
    rows = {}
    all_gaps = []
    first = math.inf
    last = -math.inf
    for host, starts in sorted(by_host.items()):
        starts.sort()
        gaps = sorted(b - a for a, b in zip(starts, starts[1:]))
        all_gaps.extend(gaps)
        first = min(first, starts[0])
        last = max(last, starts[-1])
        rows[host] = _row(len(starts), gaps, starts[-1] - starts[0], delay_s, resolution_s)
    all_gaps.sort()
    total = sum(len(s) for s in by_host.values())
    overall = _row(total, all_gaps, last - first if total else 0.0, delay_s, resolution_s)
    # Over the crawl's span every host could give 1/delay requests a second.
    overall["rate"] = (total - len(by_host)) / (last - first) if total > 1 and last > first else math.nan
    overall["ideal_rate"] = len(by_host) / delay_s if delay_s > 0 else math.nan
    overall["achieved_share"] = overall["rate"] / overall["ideal_rate"] if delay_s > 0 else math.nan
    return {"hosts": rows, "overall": overall, "resolution": resolution_s}


def _row(n, gaps, span, delay_s, resolution_s):
    return {
        "requests": n,
        "gaps": len(gaps),
        "min_gap": gaps[0] if gaps else math.nan,
        "p1_gap": percentile(gaps, 1),
        "median_gap": percentile(gaps, 50),
        "below": bisect.bisect_left(gaps, delay_s),
        "below_res": bisect.bisect_left(gaps, delay_s - resolution_s),
        "rate": (n - 1) / span if n > 1 and span > 0 else math.nan,
    }


def format_gap_table(stats, delay_s, source="the server log, ~1 ms resolution"):
    """`source` says where the starts came from; the `<delay-R` column
    counts the gaps short by more than the resolution gap_stats was given."""
    resolution_s = stats["resolution"]
    fine = resolution_s < 1e-4
    ms = lambda v: "-" if v != v else f"{v * 1000:.3f}" if fine else f"{v * 1000:.1f}"  # noqa: E731 (nan check)
    short = f"<delay-{resolution_s * 1e6:.0f}us" if fine else f"<delay-{resolution_s * 1000:g}ms"
    lines = [f"per-host gaps between request starts (delay {delay_s * 1000:.0f} ms; starts from {source})",
             f"{'host':<22}{'requests':>9}{'min ms':>11}{'p1 ms':>11}{'median ms':>11}"
             f"{'<delay':>8}{short:>12}{'req/s':>8}"]
    rows = list(stats["hosts"].items()) + [("overall", stats["overall"])]
    for host, r in rows:
        rate = "-" if r["rate"] != r["rate"] else f"{r['rate']:.2f}"
        lines.append(f"{host:<22}{r['requests']:>9}{ms(r['min_gap']):>11}{ms(r['p1_gap']):>11}"
                     f"{ms(r['median_gap']):>11}{r['below']:>8}{r['below_res']:>12}{rate:>8}")
    o = stats["overall"]
    lines.append(f"achieved rate {o['rate']:.2f} req/s vs ideal {o['ideal_rate']:.2f} req/s "
                 f"({len(stats['hosts'])} hosts / {delay_s:g} s): {o['achieved_share'] * 100:.1f}%")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gaps")
    g.add_argument("log")
    g.add_argument("--delay", type=float, default=0.25, help="seconds")
    g.add_argument("--skip", type=int, default=0, help="log lines to skip")
    g.add_argument("--outlet", action="store_true", help="an outlet-server log")
    g.add_argument("--outlet-delay-ms", type=float, default=0.0)
    args = ap.parse_args()
    if args.outlet:
        reqs = read_outlet(args.log, args.outlet_delay_ms / 1000.0, args.skip)
    else:
        reqs = read_nginx(args.log, args.skip)
    print(format_gap_table(gap_stats(reqs, args.delay), args.delay))


if __name__ == "__main__":
    main()
