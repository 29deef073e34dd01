#!/usr/bin/env python3
"""bench/report.py RESULTS OUT - write docs/benchmarks.md from bench/run.sh's results.

RESULTS is a tab-separated file of records:
  R section row unit run value kernel_value target tag   one measurement
  N section text                                          a note (why something did not run)
  M key value                                             about the run
  F name path                                             a file with raw output
Figures are medians over runs, spread min-max; ratios are netcon / kernel,
taken run by run and then the median of those.
"""
import collections
import os
import re
import statistics
import sys

TITLES = [
    ("bulk-same", "Bulk throughput: two programs on one service (127.0.0.1)"),
    ("bulk-same-lwip", "Bulk throughput: two programs on one service, every byte through lwIP (--no-shortcut)"),
    ("bulk-switch", "Bulk throughput: two services on the default switch"),
    ("bulk-tap", "Bulk throughput: a service and a kernel peer over tap (MTU 1500)"),
    ("bulk-veth", "Bulk throughput: the kernel between two namespaces over veth (what Docker's bridge gives)"),
    ("bulk-peers", "Bulk throughput: pasta and slirp4netns (namespace ↔ host loopback)"),
    ("latency", "Request/response latency: 64-byte ping-pong, round trip"),
    ("conn", "New connections per second (connloop, one 16-byte exchange each)"),
    ("wrk", "nginx under wrk (keep-alive, 1 thread, 32 connections, 1 worker)"),
    ("redis", "redis-server under redis-benchmark (-q, 20 clients)"),
    ("published", "Published ports: a kernel client on the loopback ↔ a server inside "
                  "(netcon --publish, pasta -t, slirp4netns add_hostfwd)"),
    ("seccomp", "The seccomp path (intercept --seccomp) beside LD_PRELOAD: trapped calls and untrapped data"),
    ("hosts", "Several hosts: two hosts on a 1500-byte wire (kernel underlay, kernel VXLAN, "
              "netcon's vxvde:// and tinc uplinks)"),
    ("udp", "UDP throughput: iperf3 -u, datagrams/s received at the highest offered rate losing under 1%"),
    ("udp-latency", "UDP request/response latency: 64-byte ping-pong over connected sockets, round trip"),
    ("mem", "Service memory per idle connection"),
    ("cpu", "CPU per GiB transferred"),
    ("diag", "Diagnostics: the switch host's port buffers"),
]
SHORT = {"bulk-same": "Same service", "bulk-same-lwip": "Same service, no shortcut", "bulk-switch": "Switch", "bulk-tap": "Tap", "bulk-veth": "Kernel veth",
         "bulk-peers": "Peers", "latency": "Ping-pong", "conn": "Connections/s",
         "wrk": "nginx + wrk", "redis": "redis", "published": "Published ports", "seccomp": "seccomp", "hosts": "Several hosts", "udp": "UDP datagrams/s", "udp-latency": "UDP ping-pong", "mem": "Memory", "cpu": "CPU", "diag": "Diagnostics"}
# The reference column's name where it is not the kernel's loopback.
REF_HEAD = {"hosts": "kernel VXLAN (same run)"}
NOISY = 0.30  # spread (max - min) / median above which a figure is marked noisy


def load(path):
    rows = collections.OrderedDict()
    notes = collections.defaultdict(list)
    meta, files = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == "R" and len(p) == 9:
                _, sec, row, unit, run, v, k, tgt, tag = p
                r = rows.setdefault((sec, row), {"unit": unit, "target": tgt, "tag": tag, "runs": {}})
                r["runs"][int(run)] = (num(v), num(k))
            elif p[0] == "N" and len(p) == 3:
                notes[p[1]].append(p[2])
            elif p[0] == "M" and len(p) == 3:
                meta[p[1]] = p[2]
            elif p[0] == "F" and len(p) == 3:
                files[p[1]] = p[2]
    return rows, notes, meta, files


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def fmt(x, unit):
    if x is None:
        return "—"
    if unit in ("Gbit/s", "CPU s/GiB", "%"):
        return "%.2f" % x
    if unit == "µs":
        return "%.1f" % x
    return "{:,.0f}".format(x)


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs), len(xs)


def cell(xs, unit):
    s = stats(xs)
    if not s:
        return "failed"
    med, lo, hi, n = s
    text = fmt(med, unit)
    if n > 1:
        text += " (%s–%s)" % (fmt(lo, unit), fmt(hi, unit))
        if med and (hi - lo) / med > NOISY:
            text += " ~"
    return text


def summarize(r):
    vals = [v for v, _ in r["runs"].values()]
    kern = [k for _, k in r["runs"].values()]
    ratios = [v / k for v, k in r["runs"].values() if v is not None and k]
    return vals, kern, ratios


def evaluate(key, r, rows):
    """(target text, verdict) for a row with a target, else None."""
    if r["target"] in ("-", ""):
        return None
    vals, _, ratios = summarize(r)
    v = stats(vals)
    rt = statistics.median(ratios) if ratios else None
    texts, verdicts = [], []
    for spec in r["target"].split(","):
        m = re.fullmatch(r"ratio(>=|<=)([0-9.]+)", spec)
        if m:
            x = float(m.group(2))
            if m.group(1) == ">=":
                texts.append("≥ %d%% of kernel" % round(100 * x))
                verdicts.append(None if rt is None else rt >= x)
            else:
                texts.append("≤ %g× kernel" % x)
                verdicts.append(None if rt is None else rt <= x)
            continue
        m = re.fullmatch(r"value<([0-9.]+)", spec)
        if m:
            x = float(m.group(1))
            texts.append("< 2 KiB" if x == 2048 else "< %s %s" % (fmt(x, r["unit"]), r["unit"]))
            verdicts.append(None if v is None else v[0] < x)
            continue
        m = re.fullmatch(r"peers>=([0-9.]+)", spec)
        if m:
            # factor × the best peer figure with as many streams, either direction
            x = float(m.group(1))
            streams = r["tag"].rsplit("-", 1)[0]
            best = None
            for (sec, row), pr in rows.items():
                ps = stats([y for y, _ in pr["runs"].values()])
                if sec == "bulk-peers" and pr["tag"].rsplit("-", 1)[0] == streams and ps:
                    if best is None or ps[0] > best[1]:
                        best = (row.split(":")[0].split(" ")[0], ps[0])
            if best is None:
                texts.append("≥ %g× the best peer (not measured)" % x)
                verdicts.append(None)
                continue
            texts.append("≥ %g× %s's best direction (%s)" % (x, best[0], fmt(x * best[1], "Gbit/s")))
            verdicts.append(None if v is None else v[0] >= x * best[1])
            continue
        if spec == "peers":
            peers = [(row, pr) for (sec, row), pr in rows.items()
                     if sec == "bulk-peers" and pr["tag"] == r["tag"]]
            if not peers:
                texts.append("≥ pasta and slirp4netns (not measured)")
                verdicts.append(None)
                continue
            parts, ok = [], True
            for row, pr in peers:
                ps = stats([x for x, _ in pr["runs"].values()])
                name = row.split(":")[0].split(" ")[0]
                parts.append("%s %s" % (name, fmt(ps[0], "Gbit/s") if ps else "failed"))
                if v is None or ps is None:
                    ok = None if ok is not False else False
                elif v[0] < ps[0]:
                    ok = False
            texts.append("≥ " + " and ".join(parts))
            verdicts.append(ok)
    if any(x is False for x in verdicts):
        verdict = "**not met**"
    elif all(x is True for x in verdicts):
        verdict = "met"
    else:
        verdict = "not measured"
    return "; ".join(texts), verdict


def read_pairs(path):
    out = []
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = line.split()
                if len(p) == 2 and p[1].isdigit():
                    out.append((p[0], int(p[1])))
    return out


def category(dso, sym):
    if re.search(r"memcpy|memmove|copy_user|copy_to_user|copy_from_user|copy_to_iter|copy_from_iter|"
                 r"copy_page|rep_movs|skb_copy_datagram|copyout|copyin", sym):
        return "copies (memcpy, copy to/from user)"
    if re.search(r"chksum|csum", sym):
        return "checksums"
    if "netcon-service" in dso:
        if re.match(r"(tcp_|pbuf|ip4_|ip6_|ip_|etharp|ethernet_|memp_|mem_|netif_|sys_check_timeouts|"
                    r"sys_timeout|lwip_|inet_|nd6|icmp|udp_|raw_|tcpip_|lwip)", sym):
            return "lwIP (TCP/IP, pbufs)"
        return "netcon service code (loop, sockets, link)"
    if "vdeplug" in dso:
        return "vdeplug (switch, plugs)"
    if "libc" in dso:
        if re.search(r"malloc|free|_int_|calloc|realloc|tcache", sym):
            return "libc malloc/free"
        return "libc, other"
    if "kernel" in dso:
        if re.search(r"unix_|sock_|skb|kmem_cache|kmalloc|kfree|slab|__alloc|page_frag|alloc_pages|"
                     r"free_unref|__free_pages|refill_obj|memcg|obj_stock|obj_cgroup|__check_object_size|"
                     r"__virt_addr_valid|check_heap_object|scm_|recvmsg|sendmsg|msghdr|iovec", sym):
            return "kernel: Unix sockets, buffers, allocation"
        if re.search(r"entry_SYSCALL|do_syscall|syscall_exit|__x64_sys|syscall_return|exit_to_user|"
                     r"syscall_enter|__fdget|fput|fget", sym):
            return "kernel: system call entry/exit, fd lookup"
        if re.search(r"ep_|epoll", sym):
            return "kernel: epoll"
        if re.search(r"schedule|switch_to|pick_next|enqueue|dequeue|wake_up|update_|finish_task|"
                     r"_raw_spin|select_task|ttwu|idle|hrtimer|tick_", sym):
            return "kernel: scheduler, wake-ups, locks"
        return "kernel: other"
    return "other"


def perf_rows(files, pid, prefix="perf"):
    """[(share of the service's samples in %, dso, function)] for one service."""
    total = None
    path = files.get(prefix + "-pid")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*([0-9.]+)%\s+(\d+):", line)
                if m and m.group(2) == pid:
                    total = float(m.group(1))
    out = []
    path = files.get(prefix + "-sym")
    if total and path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*([0-9.]+)%\s+(\d+):\S+\s+(\S+)\s+\[[.k]\]\s+(.*\S)", line)
                if m and m.group(2) == pid:
                    out.append((100 * float(m.group(1)) / total, m.group(3), m.group(4)))
    return out


def main():
    rows, notes, meta, files = load(sys.argv[1])
    o = []
    w = o.append
    mode = meta.get("mode", "full")
    w("# netcon benchmarks")
    w("")
    w("Written by `bench/run.sh`%s (`make bench%s`) on %s; commit %s. Do not edit by hand."
      % (" --quick" if mode == "quick" else "", " QUICK=1" if mode == "quick" else "",
         meta.get("date", "?"), meta.get("commit", "?")))
    w("")
    w("- Machine: %s CPUs (%s), %s." % (meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("kernel", "?")))
    w("- Mode: %s, %s run(s) per figure; %s." % (mode, meta.get("runs", "?"), meta.get("durations", "")))
    w("- Tools: %s." % meta.get("versions", "?"))
    w("- Load average at start %s, at end %s; netcon services already running on the machine "
      "(other sessions): %s. Elapsed: %s s."
      % (meta.get("load_start", "?"), meta.get("load_end", "?"), meta.get("others", "?"), meta.get("elapsed", "?")))
    w("")
    w("Each figure is the median of the runs, with the spread (min–max) when there are several; a `~` "
      "marks a spread over %d%% of the median (a shared, noisy machine: the CPUs are shared with other "
      "sessions' tests). The kernel figure is the same load on the kernel's loopback, in a network "
      "namespace of the benchmark's own, measured right before the netcon figure in the same run; the "
      "ratio is netcon / kernel, run by run, then the median. Throughput is iperf3's receiver figure "
      "(programs intercepted through `intercept`); latency is `bench/pingpong.c` (64 bytes each way, "
      "TCP_NODELAY, after 1,000 warm-up round trips; `-u`: the same over a pair of connected UDP "
      "sockets). \"Measured\" is through netcon, or through the tool a row names (pasta, slirp4netns)."
      % round(100 * NOISY))
    if meta.get("sections") and meta["sections"].split() != "bulk latency conn published seccomp udp mem time".split():
        w("")
        w("Only these sections were run: %s (`SECTIONS`)." % meta["sections"])
    w("")

    # Targets first.
    w("## Targets")
    w("")
    w("| target | figure | ratio to kernel | verdict |")
    w("|---|---|---|---|")
    for sec, title in TITLES:
        for (s, row), r in rows.items():
            if s != sec:
                continue
            ev = evaluate((s, row), r, rows)
            if not ev:
                continue
            vals, kern, ratios = summarize(r)
            st = stats(vals)
            rt = "%.2f" % statistics.median(ratios) if ratios else "—"
            w("| %s — %s: %s | %s %s | %s | %s |" % (SHORT.get(sec, sec),
                                                 row, ev[0], fmt(st[0], r["unit"]) if st else "failed",
                                                 r["unit"], rt, ev[1]))
    w("")

    findings(w, rows, meta, files)
    removed(w, rows)

    for sec, title in TITLES:
        sec_rows = [(row, r) for (s, row), r in rows.items() if s == sec]
        if not sec_rows and not notes.get(sec):
            continue
        w("## " + title)
        w("")
        intro = SECTION_INTRO.get(sec)
        if intro:
            w(intro(rows, meta))
            w("")
        if sec_rows:
            unit = sec_rows[0][1]["unit"]
            has_k = any(k is not None for _, r in sec_rows for _, k in r["runs"].values())
            if has_k:
                w("| figure | measured | %s | ratio | target |" % REF_HEAD.get(sec, "kernel loopback"))
                w("|---|---|---|---|---|")
            else:
                w("| figure | value | target |")
                w("|---|---|---|")
            for row, r in sec_rows:
                vals, kern, ratios = summarize(r)
                ev = evaluate((sec, row), r, rows)
                tgt = "%s: %s" % ev if ev else "—"
                u = r["unit"]
                if has_k:
                    rt = "—"
                    if ratios:
                        rt = "%.2f" % statistics.median(ratios)
                        if len(ratios) > 1:
                            rt += " (%.2f–%.2f)" % (min(ratios), max(ratios))
                    w("| %s | %s %s | %s | %s | %s |" % (row, cell(vals, u), u,
                                                        cell(kern, u) if any(k is not None for k in kern) else "—",
                                                        rt, tgt))
                else:
                    w("| %s | %s %s | %s |" % (row, cell(vals, u), u, tgt))
            w("")
        extra = SECTION_TEXT.get(sec)
        if extra:
            text = extra(rows, meta, files) if sec in ("udp", "udp-latency") else extra(rows, meta)
            if text:
                w(text)
                w("")
        for n in notes.get(sec, []):
            w("- Note: " + n)
        if notes.get(sec):
            w("")

    if "time" in meta.get("sections", "time").split():
        time_section(w, meta, files, notes)
    udp_time_section(w, meta, files, notes)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(o).rstrip() + "\n")


def med(rows, sec, row, kernel=False):
    r = rows.get((sec, row))
    if not r:
        return None
    st = stats([k if kernel else v for v, k in r["runs"].values()])
    return st[0] if st else None


def missed(rows, sec):
    return any(evaluate(key, r, rows) and evaluate(key, r, rows)[1] == "**not met**"
               for key, r in rows.items() if key[0] == sec)


def cats_for(files, meta, i):
    pids = meta.get("time_pids", "").split()
    c = collections.Counter()
    if len(pids) == 2:
        for pct, dso, sym in perf_rows(files, pids[i]):
            c[category(dso, sym)] += pct
    return c


def cpu_finding(rows, meta, files, ca, cb):
    """Why CPU per GiB over the switch is above 1.5x: where the services' share goes."""
    both = "switch b → a: both services + programs"
    tot, ker = med(rows, "cpu", both), med(rows, "cpu", both, True)
    snd = med(rows, "cpu", "switch b → a: sending service (b)")
    rcv = med(rows, "cpu", "switch b → a: receiving service hosting the switch (a)")
    t = "**CPU per GiB over the switch**"
    if not (tot and ker and snd and rcv):
        return t + ": not all of its figures were taken in this run (see CPU per GiB)."
    t += (": %s CPU s/GiB b → a against the kernel's %s. The two programs take %s of it (the "
          "kernel's figure is the same two programs doing TCP in the kernel), the services the "
          "rest: %s the sender b, %s the receiver a, which hosts the switch. A bulk connection's "
          "byte is copied six times where the loopback copies it twice, each time by a system "
          "call: the program's write, the sender's read into its send ring (lwIP references it "
          "there), the send to the switch, the switch host's receive, its write into the program's "
          "socketpair, the program's read"
          % (fmt(tot, "CPU s/GiB"), fmt(ker, "CPU s/GiB"), fmt(tot - snd - rcv, "CPU s/GiB"),
             fmt(snd, "CPU s/GiB"), fmt(rcv, "CPU s/GiB")))
    pids = meta.get("time_pids", "").split()
    if ca and cb and len(pids) == 2:
        user = sum(pct for pct, dso, sym in perf_rows(files, pids[1])
                   if "libc" in dso and re.search(r"memcpy|memmove", sym))
        chk = cb.get("checksums", 0)
        t += ("; in the profile copies are %.0f%% of the receiving service's CPU and %.0f%% of the "
              "sending one's (copies in user space %.0f%% of it), and the sender's checksums "
              "(%.0f%%) with those user-space copies come to %s CPU s/GiB: without both the total "
              "would still be %.2f× the kernel's. The rest are kernel copies and wake-ups on the "
              "Unix sockets between programs, services and the switch; meeting 1.5× takes moving "
              "frames between services without a kernel copy at each hop (memory shared between "
              "the services of one host): not done"
              % (ca.get("copies (memcpy, copy to/from user)", 0),
                 cb.get("copies (memcpy, copy to/from user)", 0), user, chk,
                 fmt(snd * (user + chk) / 100, "CPU s/GiB"),
                 (tot - snd * (user + chk) / 100) / ker))
    return t + "."


def findings(w, rows, meta, files):
    """Why the missed targets are missed, from this run's own measurements."""
    out = []
    ca, cb = cats_for(files, meta, 0), cats_for(files, meta, 1)
    fa = [int(x) for x in meta.get("time_frames_a", "0 0 0 0").split()]
    fb = [int(x) for x in meta.get("time_frames_b", "0 0 0 0").split()]
    calls = [int(x) for x in meta.get("time_calls", "").split()]
    fra, frb = fa[2] - fa[0] + fa[3] - fa[1], fb[2] - fb[0] + fb[3] - fb[1]
    if missed(rows, "bulk-same"):
        same = [(row, r) for (sec, row), r in rows.items() if sec == "bulk-same"]
        lo = min(statistics.median(summarize(r)[2]) for _, r in same if summarize(r)[2])
        t = ("**Within one service** the lowest ratio is %.2f of the kernel's loopback (%s–%s "
             "Gbit/s). With the shortcut (tcp_splice.c) lwIP is out of the way, but every byte is "
             "still copied four times (the program's write into its socketpair, the service's read, "
             "its write into the peer's socketpair, the peer's read) where the loopback copies it "
             "twice, and the service is one thread"
             % (lo, fmt(min(med(rows, "bulk-same", row) or 0 for row, _ in same), "Gbit/s"),
                fmt(max(med(rows, "bulk-same", row) or 0 for row, _ in same), "Gbit/s")))
        sv = med(rows, "cpu", "one service: the service")
        top = max(med(rows, "bulk-same", row) or 0 for row, _ in same)
        if sv:
            t += (": at %s CPU s/GiB (see CPU per GiB) it needs %.0f%% of a CPU for %s Gbit/s, "
                  "beside the two programs, on 2 CPUs"
                  % (fmt(sv, "CPU s/GiB"), 100 * sv * top / 8 * 1e9 / 2**30, fmt(top, "Gbit/s")))
        out.append(t + ".")
    if missed(rows, "bulk-switch"):
        peer = [(row, stats([v for v, _ in r["runs"].values()])) for (sec, row), r in rows.items()
                if sec == "bulk-peers"]
        best = max((p for p in peer if p[1]), key=lambda p: p[1][0], default=None)
        t = ("**Switch throughput** is %s–%s Gbit/s in every direction (%d–%d%% of the kernel's "
             "loopback; the targets are 50%% and 1.2× the best peer with as many streams)"
             % (fmt(min(x for x in [med(rows, "bulk-switch", r) for (s, r) in rows if s == "bulk-switch"] if x), "Gbit/s"),
                fmt(max(x for x in [med(rows, "bulk-switch", r) for (s, r) in rows if s == "bulk-switch"] if x), "Gbit/s"),
                100 * min(statistics.median(summarize(r)[2]) for (s, _), r in rows.items() if s == "bulk-switch" and summarize(r)[2]),
                100 * max(statistics.median(summarize(r)[2]) for (s, _), r in rows.items() if s == "bulk-switch" and summarize(r)[2])))
        if best:
            t += " (best peer figure: %s, %s Gbit/s)" % (best[0], fmt(best[1][0], "Gbit/s"))
        t += (". Each frame (up to 64 KiB: the switch's MTU is 65000) is a datagram on a Unix "
              "socket between a service and the switch, which runs inside service a")
        sa = read_pairs(files.get("sys-a"))
        if len(calls) == 2 and fra and frb and sa:
            tot = sum(c for _, c in sa)
            ina, outa = fa[2] - fa[0], fa[3] - fa[1]
            per = lambda n, fr: dict(sa).get(n, 0) / tot * calls[0] / fr if fr else 0
            t += ("; the switch host makes %.1f system calls per frame — per frame received %.2f "
                  "epoll_wait, %.2f poll and %.2f read or recv, per frame sent %.2f write or send "
                  "— the sender %.1f"
                  % (calls[0] / fra, per("epoll_wait", ina), per("poll", ina),
                     per("read", ina) + per("recvfrom", ina),
                     per("write", outa) + per("sendto", outa), calls[1] / frb))
        if ca and cb:
            t += ("; checksums take %.0f%% of the receiving service's CPU and %.0f%% of the sending "
                  "one's (computed for every segment, since a kernel may be on the switch through "
                  "vde_plug, but no longer verified on the local switch), copies %.0f%% and %.0f%%"
                  % (ca.get("checksums", 0), cb.get("checksums", 0),
                     ca.get("copies (memcpy, copy to/from user)", 0),
                     cb.get("copies (memcpy, copy to/from user)", 0)))
        t += (". Services, programs and the kernel share 2 CPUs: the switch transfer costs %s CPU "
              "s/GiB against the kernel's %s (see CPU per GiB)."
              % (fmt(med(rows, "cpu", "switch b → a: both services + programs"), "CPU s/GiB"),
                 fmt(med(rows, "cpu", "switch b → a: both services + programs", True), "CPU s/GiB")))
        out.append(t)
    if missed(rows, "latency"):
        pp = meta.get("time_pp", "").split()
        t = "**Ping-pong**: "
        pin = rows.get(("latency", "one service, all on CPU 0: median"))
        if pin:
            t += ("with everything on one CPU (no idle-CPU wake-ups) a round trip through one "
                  "service takes %s µs against the kernel's %s µs. " %
                  (fmt(med(rows, "latency", "one service, all on CPU 0: median"), "µs"),
                   fmt(med(rows, "latency", "one service, all on CPU 0: median", True), "µs")))
        if len(pp) == 2 and int(pp[0]):
            t += ("Each round trip wakes the service twice (once per direction) and costs it "
                  "%.1f context switches and %s system calls (measured below), on top of the two "
                  "programs' own; over the switch each message passes through both services and the "
                  "in-process switch. " % (int(pp[1]) / int(pp[0]),
                              "%.0f" % (sum(c for _, c in read_pairs(files.get("sys-pp"))) / int(pp[0]))))
            if sum(c for _, c in read_pairs(files.get("sys-pp"))) / int(pp[0]) < 6.5:
                t += ("Six calls (epoll_wait, read, write per direction, the shortcut moving the "
                      "bytes) are the least a process relaying between two sockets can make, and "
                      "on one CPU each direction switches from program to service to program: 4 "
                      "switches per round trip where the kernel's loopback makes 2. What is left "
                      "is taking the service out of the data path (both programs on the two ends "
                      "of one socketpair), which the service could then no longer watch for a "
                      "close, a reset or a dead process (a socket's close is seen only by its "
                      "peer): not done. ")
        ks = [k for (sec, row), r in rows.items() if sec == "latency" and row.endswith("median")
              and "CPU 0" not in row for _, k in r["runs"].values() if k is not None]
        if ks:
            t += ("Unpinned figures on this 2-CPU virtual machine are dominated by where wake-ups "
                  "land: the kernel's own median ranged from %s to %s µs across this run's "
                  "measurements, so the unpinned ratios swing widely." % (fmt(min(ks), "µs"), fmt(max(ks), "µs")))
        out.append(t)
    if missed(rows, "conn"):
        cn = meta.get("time_conn", "").split()
        sw = rows.get(("conn", "two services over the switch"))
        t = ("**New connections**: %s conn/s through one service against the kernel's %s, and %s "
             "over the switch against %s (%.0f%%): there each connection's handshake, request, "
             "answer and closing segments also cross the in-process switch, one frame per wake-up."
             % (fmt(med(rows, "conn", "one service (127.0.0.1)"), "conn/s"),
                fmt(med(rows, "conn", "one service (127.0.0.1)", True), "conn/s"),
                fmt(med(rows, "conn", "two services over the switch"), "conn/s"),
                fmt(med(rows, "conn", "two services over the switch", True), "conn/s"),
                100 * statistics.median(summarize(sw)[2] or [0]) if sw else 0))
        sc = read_pairs(files.get("sys-conn"))
        if len(cn) == 2 and int(cn[0]) and sc:
            n = int(cn[0])
            t += (" Each connection (both ends in the service) costs the service %.0f system calls "
                  "and %.1f context switches: a socketpair per end with its descriptor passed by "
                  "SCM_RIGHTS (sendmsg), epoll registration (epoll_ctl %.0f), buffer sizes "
                  "(setsockopt %.0f), and the client's CONNECT round trip (recvmsg/sendmsg). socket() "
                  "costs no round trip (a spare socket rides on the previous CONNECT reply) and "
                  "accept() none (connections are pushed on the listening socket), but connect() "
                  "still waits for the service, and every hop between a program and the service is a "
                  "wake-up the kernel's loopback does not make."
                  % (sum(c for _, c in sc) / n, int(cn[1]) / n, dict(sc).get("epoll_ctl", 0) / n,
                     dict(sc).get("setsockopt", 0) / n))
        out.append(t)
    if missed(rows, "wrk"):
        out.append("**nginx + wrk over the switch** (%s req/s, %.0f%% of the kernel) pays the switch "
                   "path twice per request (two services, the in-process switch) with wrk, nginx and "
                   "two services on 2 CPUs; through one service it is %s req/s."
                   % (fmt(med(rows, "wrk", "two services over the switch"), "req/s"),
                      100 * statistics.median(summarize(rows[("wrk", "two services over the switch")])[2] or [0]),
                      fmt(med(rows, "wrk", "one service (127.0.0.1)"), "req/s")))
    if missed(rows, "cpu"):
        out.append(cpu_finding(rows, meta, files, ca, cb))
    if missed(rows, "udp"):
        bad = [(row, r) for (sec, row), r in rows.items() if sec == "udp"
               and evaluate((sec, row), r, rows)[1] == "**not met**"]
        t = "**UDP datagrams/s**: " + "; ".join(
            "%s %s dgram/s against the kernel's %s (%.0f%%)"
            % (row, fmt(med(rows, "udp", row), ""), fmt(med(rows, "udp", row, True), ""),
               100 * statistics.median(summarize(r)[2] or [0])) for row, r in bad) + "."
        u = udp_time(meta, files)
        if u and u["per_dg"] is not None:
            t += (" Every datagram crosses the service: read from the sender's socketpair "
                  "(recvmsg, one record per call), udp_sendto() through lwIP, written to the "
                  "receiver's socketpair (sendmsg, MSG_DONTWAIT); at %s datagrams/s the service "
                  "used %d%% of a CPU, %.1f µs and %.2f system calls per datagram (%s), see "
                  "\"Where the time goes: UDP\"."
                  % (fmt(u["rate"], ""), u["cpu"], u["us_per_dg"], u["per_dg"],
                     ", ".join("%s %.2f" % (n, c / u["dg"]) for n, c in u["calls"][:3])))
        out.append(t)
    if missed(rows, "udp-latency"):
        t = "**UDP ping-pong**: "
        pin = "one service, all on CPU 0: median"
        if rows.get(("udp-latency", pin)):
            t += ("with everything on one CPU a round trip through one service takes %s µs against "
                  "the kernel's %s µs (%.2f×); unpinned %s µs against %s, over the switch %s µs "
                  "against %s. "
                  % (fmt(med(rows, "udp-latency", pin), "µs"), fmt(med(rows, "udp-latency", pin, True), "µs"),
                     statistics.median(summarize(rows[("udp-latency", pin)])[2] or [0]),
                     fmt(med(rows, "udp-latency", "one service (127.0.0.1): median"), "µs"),
                     fmt(med(rows, "udp-latency", "one service (127.0.0.1): median", True), "µs"),
                     fmt(med(rows, "udp-latency", "two services over the switch: median"), "µs"),
                     fmt(med(rows, "udp-latency", "two services over the switch: median", True), "µs")))
        t += ("On the kernel's loopback a datagram goes from one program's send() straight to the "
              "other's socket: one wake-up per direction. Through netcon it goes program → "
              "socketpair → service (woken, epoll_wait, recvmsg, lwIP, sendmsg) → socketpair → "
              "program: two wake-ups per direction, and the service's work in between.")
        p = udp_pp(meta, files)
        if p:
            t += (" Per round trip the service made %.1f system calls (%s) and %.1f context "
                  "switches; the calls past the two recvmsg and two sendmsg that carry the "
                  "datagrams are the epoll_wait per wake-up and a recvmsg per wake-up that finds "
                  "the socketpair empty (EAGAIN, ending the read batch)."
                  % (p["per"], ", ".join("%s %.1f" % (n, c / p["n"]) for n, c in p["calls"][:3]), p["cs"]))
        t += (" Over the switch each datagram also passes through the second service and the "
              "in-process switch: four more hops per round trip.")
        out.append(t)
    if out:
        w("## Missed targets: why")
        w("")
        for t in out:
            w("- " + t)
        w("")


# Figures of the full run before the optimisations below (2026-11-24 21:54 UTC,
# commit 12ef8ec), for the before/after table.
BEFORE = [
    ("bulk-switch", "1 stream, b → a (joiner to switch host)", 10.64, 0.46),
    ("bulk-switch", "1 stream, a → b (switch host to joiner)", 9.56, 0.41),
    ("bulk-switch", "4 streams, b → a (joiner to switch host)", 11.80, 0.38),
    ("bulk-switch", "4 streams, a → b (switch host to joiner)", 9.84, 0.32),
    ("conn", "one service (127.0.0.1)", 4142, 0.25),
    ("conn", "two services over the switch", 2895, 0.18),
    ("wrk", "two services over the switch", 80505, 0.60),
    ("latency", "two services over the switch: median", 77.3, 1.62),
]


# Figures of the full run before issue 15's work (2026-12-01 23:40 UTC, commit
# bc97ab1: the switch at MTU 9000, tap:// through vdeplug), for its table.
BEFORE_15 = [
    ("bulk-same", "1 stream, client → server", 21.29, 1.08),
    ("bulk-same", "1 stream, server → client", 23.55, 1.11),
    ("bulk-same", "4 streams, client → server", 21.35, 0.85),
    ("bulk-same", "4 streams, server → client", 22.23, 0.93),
    ("bulk-switch", "1 stream, b → a (joiner to switch host)", 9.04, 0.37),
    ("bulk-switch", "1 stream, a → b (switch host to joiner)", 9.39, 0.39),
    ("bulk-switch", "4 streams, b → a (joiner to switch host)", 8.05, 0.32),
    ("bulk-switch", "4 streams, a → b (switch host to joiner)", 9.27, 0.37),
    ("bulk-tap", "1 stream, service → kernel", 2.79, 0.12),
    ("bulk-tap", "1 stream, kernel → service", 2.87, 0.13),
    ("bulk-tap", "4 streams, service → kernel", 2.99, 0.11),
    ("bulk-tap", "4 streams, kernel → service", 2.90, 0.12),
    ("cpu", "switch b → a: both services + programs", 2.21, 2.40),
    ("cpu", "switch a → b: both services + programs", 2.12, 2.25),
]


# Figures of the full run before netcon hosted its own switch (2026-12-02
# 18:34 UTC, commit c14777b: vdeplug's embedded switch), for its table.
BEFORE_VSW = [
    ("bulk-switch", "1 stream, b → a (joiner to switch host)", 16.68, 0.81),
    ("bulk-switch", "1 stream, a → b (switch host to joiner)", 15.47, 0.75),
    ("bulk-switch", "4 streams, b → a (joiner to switch host)", 12.81, 0.56),
    ("bulk-switch", "4 streams, a → b (switch host to joiner)", 13.73, 0.60),
    ("cpu", "switch b → a: both services + programs", 1.82, 1.61),
    ("cpu", "switch a → b: both services + programs", 1.79, 1.67),
    ("conn", "two services over the switch", 2908, 0.46),
    ("wrk", "two services over the switch", 35738, 0.76),
    ("latency", "two services over the switch: median", 103.9, 1.72),
]


def before_after(w, rows, before, rev):
    w("| figure | before (%s) | ratio before | this run | ratio now |" % rev)
    w("|---|---|---|---|---|")
    for sec, row, val, ratio in before:
        r = rows.get((sec, row))
        unit = r["unit"] if r else {"cpu": "CPU s/GiB", "latency": "µs", "conn": "conn/s",
                                    "wrk": "req/s"}.get(sec, "Gbit/s")
        now = med(rows, sec, row)
        ratios = summarize(r)[2] if r else []
        w("| %s — %s | %s %s | %.2f | %s %s | %s |"
          % (SHORT.get(sec, sec), row, fmt(val, unit), unit, ratio, fmt(now, unit), unit,
             "%.2f" % statistics.median(ratios) if ratios else "—"))
    w("")


def removed(w, rows):
    """What was taken off the data path and the connection path, and the
    figures before and after (before: the full runs of commits 12ef8ec and,
    for issue 15's frames, bc97ab1)."""
    w("## What was removed")
    w("")
    w("Issue 15 (2026-12-02):")
    w("")
    for t in (
        "**lwIP between two programs of one service**: once such a connection is quiet, what the "
        "service reads from one program's socketpair it writes straight into the other's "
        "(`src/service/tcp_splice.c`); lwIP keeps both connections' state (handshake, addresses, "
        "TCP_INFO, the FIN after the last byte, RST, close, TIME_WAIT), the peer's socketpair "
        "being full stops the reading, and the conformance suite runs with and without it "
        "(`--no-shortcut`, measured beside it below).",
        "**Small frames on the local switch**: its MTU is 65000 (was 9000, vdeplug's frame size): "
        "the switch forwards a datagram of whatever size its host's buffer holds, and lwIP "
        "sends one 64 KiB segment per frame, so the switch's per-frame work (a wake-up and a system "
        "call per hop) is 7 times rarer. TCP to a vdeplug client on the switch (a tap through "
        "vde_plug) still uses that client's MSS; the gateway's libslirp sends at most 9000.",
        "**Nested waits on the switch host**: the local switch is netcon's own "
        "(`src/service/vswitch.c`, VDE's protocol for joined services, vde_plug and the uplink), "
        "with every port's socket in the hosting service's epoll set. vdeplug's embedded switch "
        "hid its ports behind an epoll descriptor of its own whose vde_recv() blocks, so each frame "
        "it received cost a nested epoll_wait() and a poll() probe besides its read: under strace, "
        "1 stream b → a, the host made 1.0 read, 1.0 poll and 1.0 epoll_wait per frame received "
        "before, 1.03 recv and 0.03 epoll_wait after.",
        "**Per-frame work on a tap**: tap:// is opened by netcon (`src/service/tap.c`) with "
        "IFF_VNET_HDR and the checksum and TSO offloads. The kernel hands over its TCP sends whole "
        "(up to 64 KiB in one read, checksums not verified again); connections over the tap send "
        "segments of 16 MSS, which lwIP's IP layers pass on unfragmented (`src/service/lwip/tso.h`) "
        "and the kernel takes whole with a GSO header, as from a virtio NIC. The device's MTU stays "
        "1500.",
        "**lwIP's copy of what a bulk connection sends** (2026-12-03): after 1 MiB, a connection "
        "over the switch or a tap reads its program's bytes into a send ring that lwIP's segments "
        "reference (tcp_write without copying), and the segment goes to the kernel as a pbuf "
        "chain (sendmsg or writev in pieces). lwIP's memmove, 13% of the sending service's CPU "
        "over the switch, is gone from its profile; in four interleaved SECTIONS=mem runs the "
        "sending service took 0.38–0.50 CPU s/GiB (median 0.47) against 0.47–0.60 (median 0.51) "
        "before, the whole transfer 1.62–1.89 against 1.75–2.14 CPU s/GiB.",
        "**Misaligned buffers** (2026-12-03): the shortcut's 256 KiB buffer started one byte past "
        "a cache line once an unrelated change moved the linker's layout, and the kernel's copy "
        "into it slowed 4 streams within one service from 21–25 to 15–19 Gbit/s (interleaved "
        "iperf3 against the older build); every buffer the kernel copies into or out of now "
        "starts on a page (`src/service/iobuf.h`).",
    ):
        w("- " + t)
    w("")
    before_after(w, rows, BEFORE_15, "bc97ab1")
    w("The switch hosted by netcon instead of vdeplug's, against the full run on c14777b (the same "
      "day, the same kind of machine):")
    w("")
    before_after(w, rows, BEFORE_VSW, "c14777b")
    w("Earlier (2026-11-24/25):")
    w("")
    for t in (
        "**Checksum work**: lwIP's 16-bit checksum loop (21–23% of each service's CPU on the switch) "
        "is replaced by netcon's 64-bit one (`src/service/chksum.c`, LWIP_CHKSUM); payload is summed "
        "while tcp_write() copies it (LWIP_CHECKSUM_ON_COPY); the loopback interface neither computes "
        "nor verifies checksums, and the local switch no longer verifies them (frames on a Unix "
        "socket between processes of this machine cannot be corrupted; they are still computed "
        "because a kernel may be on the switch through vde_plug).",
        "**TIME_WAIT scans**: lwIP walks its TIME_WAIT list for every SYN and every connect() with "
        "SO_REUSEADDR; at thousands of connections a second that list held tens of thousands of "
        "entries. `src/service/timewait.c` leaves lwIP only the newest 32 (for at most 2 s, to "
        "answer a repeated FIN) and keeps a hash of the others for the 1 s during which connect() "
        "must not reuse their 4-tuple.",
        "**Round trips per connection**: socket() takes a spare socket that came with the previous "
        "CONNECT reply (no round trip); accept() reads the connection, pushed by the service with "
        "its descriptor on the listening socket (no round trip); a thread-per-connection server "
        "reuses the RPC connection of a finished thread instead of connecting anew.",
        "**System calls**: one RPC read per wake-up (clients never pipeline, the second read was "
        "always EAGAIN), no receive-buffer setsockopt on socketpairs (Unix stream sockets ignore "
        "it), socketpairs created non-blocking, no epoll_ctl on removed handlers, the switch "
        "host no longer polls before the first frame of a wake-up, and shutdown() of a connected "
        "socket needs no round trip.",
        "**Copies**: a frame from the link is received straight into the lwIP buffer (pbuf) that "
        "carries it up the stack; only frames under 4 KiB are copied to a buffer of their own size, "
        "so that queued segments do not each hold a jumbo buffer.",
    ):
        w("- " + t)
    w("")
    before_after(w, rows, BEFORE, "12ef8ec")


def text_bulk_tap(rows, meta):
    return ("The service runs in a namespace of its own with `--net tap://ncb0 --ip 198.18.9.1/24`; "
            "the kernel side (198.18.9.2) is iperf3 in that namespace. The tap's MTU is 1500; netcon "
            "opens it with the checksum and TSO offloads (`src/service/tap.c`), so the kernel's "
            "sends arrive as frames of up to 64 KiB and lwIP's go out as 16-MSS segments that the "
            "kernel takes whole. Kernel veth pairs at the same MTU, below, are what Docker's "
            "bridge network gives.")


def text_bulk_veth(rows, meta):
    return ("The kernel's TCP between two network namespaces of the benchmark's own, over a veth "
            "pair at MTU 1500 (Docker's bridge network) and at 65535 (veth's largest: 65536 is "
            "refused), iperf3 client in one, server in the other; ratios against the kernel's "
            "loopback in the same run.")


def text_latency(rows, meta):
    return ("\"All on CPU 0\" pins the service and both programs (for the kernel, both programs) to "
            "one CPU: no cross-CPU wake-ups, only the work itself. Unpinned, both netcon's and the "
            "kernel's medians jump between two levels from run to run (see the spreads: a few µs "
            "when a wake-up finds its CPU busy or shared, about 50 µs when it must wake an idle "
            "virtual CPU), so an unpinned ratio says more about scheduling on this virtual machine "
            "than about the stack; the pinned rows are the stable comparison. sockperf (TCP "
            "ping-pong, 64 bytes) reports half round trips; its figures are doubled here to "
            "compare with pingpong's.")


def text_published(rows, meta):
    return ("A kernel client on the loopback reaches a server inside through each forwarder: "
            "`netcon-service --publish 127.0.0.1:HOSTPORT:PORT` (the gateway, libslirp; the "
            "service on a switch of its own runs in the benchmark's kernel namespace, where the "
            "client runs; the servers are intercepted through it), `pasta -t "
            "127.0.0.1/HOSTPORT:PORT` and slirp4netns `add_hostfwd` (API socket; "
            "`--mtu=65520`), each with the servers in its namespace and the client on the host. "
            "Throughput is iperf3 (one stream; \"host client → server inside\" is the client "
            "sending, \"server inside → host client\" is `-R`), latency `bench/pingpong.c` "
            "(64 bytes each way), connections `connloop` (one 16-byte echo each) against "
            "`test_tx -x`. The kernel figure is the same client and server both on the kernel's "
            "loopback, no forwarder, measured right before each row.")


def text_cpu(rows, meta):
    return ("Services: utime + stime from /proc/PID/stat over one verified test_tx → test_rx transfer. "
            "\"+ programs\" adds test_tx's and test_rx's own CPU time (they generate and check every "
            "byte); the kernel figure is those two programs' time on the kernel's loopback, which "
            "includes the kernel's TCP work done in their context.")


def text_mem(rows, meta):
    return ("Two fresh services on the switch: one accepts, the other connects, all connections idle. "
            "VmRSS of each service before and after, divided by the number of connections. This is "
            "the service's user memory (lwIP PCB, netcon's socket record, heap); the kernel memory of "
            "the socketpair that joins each program socket to the service is not in it.")


def text_diag(rows, meta):
    b = meta.get("diag_sndbuf_start")
    lines = []
    if b is not None:
        lines.append("Send buffers (`ss -xm`, tb) of the switch host's datagram sockets once both services "
                     "had joined: %s. The in-process switch drops a frame when a port's socket is full, so "
                     "a port left at Linux's default (212992 bytes, about 23 jumbo frames) loses frames "
                     "under bulk traffic." % (b.strip() or "none found"))
    lines.append("\"frames lost\" counts frames the switch host sent towards b that b never received "
                 "(the services' link counters, over the 1-stream a → b run).")
    return "\n".join(lines)


def udp_probes(files):
    """{(kind, size): [[(offered, sent/s, received/s, loss%)] per run]} from udp-probes.txt."""
    out = collections.defaultdict(list)
    path = files.get("udp-probes")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = line.split()
                m = re.fullmatch(r"(\w+)-(\d+)-(\d+)", p[0]) if p else None
                if not m or len(p) != 5:
                    continue
                runs = out[(m.group(1), int(m.group(2)))]
                while len(runs) < int(m.group(3)):
                    runs.append([])
                runs[int(m.group(3)) - 1].append(tuple(float(x) for x in p[1:]))
    return out


UDP_KINDS = (("kernel", "kernel loopback"), ("same", "one service (127.0.0.1)"),
             ("switch", "two services over the switch"))


def flood(probes, kind, size):
    """Medians over runs of the first probe (-b 0): sent/s, received/s, loss %."""
    firsts = [r[0] for r in probes.get((kind, size), []) if r and r[0][0] == 0]
    if not firsts:
        return None
    return tuple(statistics.median(x[i] for x in firsts) for i in (1, 2, 3))


def text_udp(rows, meta, files=None):
    probes = udp_probes(files or {})
    lines = ["Each figure is a search of at most %s one-second `iperf3 -u -l SIZE` probes: first "
             "as fast as the client sends (`-b 0`); if that loses 1%% or more, the rate the "
             "receiver got is offered next, then bisection between the highest offer that lost "
             "under 1%% and the lowest that did not, until they are within 5%%. The figure is the "
             "received rate of the best offer that lost under 1%%. Loss is counted against what "
             "the client sent (not iperf3's sequence gaps: datagrams still queued when a probe "
             "ends are lost too). One kernel search per size and run is the reference of both "
             "netcon rows. A UDP sender on the kernel's loopback never waits (a full receive "
             "buffer, 208 KiB by default, drops), while through netcon the program's datagram "
             "socket is a Unix SOCK_SEQPACKET socket whose sender blocks when the service has "
             "not yet read it: the client is slowed down instead of losing datagrams on that "
             "hop, and the loss happens where the service writes to the receiving program "
             "(MSG_DONTWAIT, dropped when full)." % meta.get("udp_probes", "7")]
    if probes:
        lines.append("")
        lines.append("As fast as the client sends (the first probe, `-b 0`; medians over runs):")
        lines.append("")
        lines.append("| size | path | sent/s | received/s | lost |")
        lines.append("|---|---|---|---|---|")
        for size in (64, 1400):
            for kind, label in UDP_KINDS:
                f = flood(probes, kind, size)
                if f:
                    lines.append("| %d bytes | %s | %s | %s | %.1f%% |"
                                 % (size, label, fmt(f[0], ""), fmt(f[1], ""), f[2]))
    return "\n".join(lines)


def text_udp_latency(rows, meta, files=None):
    return ("`bench/pingpong.c -u`: the client connects its UDP socket and sends a 64-byte "
            "datagram (a sequence number first), the server, connected to that client, sends it "
            "back; 1,000 warm-up round trips, then each round trip timed (median, p99). An answer "
            "not back within 500 ms is resent and counted lost (notes below, if any). \"All on "
            "CPU 0\" pins the service, both servers and the clients to one CPU, as for TCP. The client "
            "sends no goodbye datagram (the server drops a peer silent for 200 ms), as when these "
            "figures were first taken. A goodbye once wedged the service: the end-of-file of a "
            "connected UDP socket closed right after a send was read as an empty datagram, again "
            "and again. That was fixed (`src/service/dgram_sock.c`: an empty record counts as the "
            "end only when the program's end is shut, and the udp suite's "
            "empty-datagram-then-close case checks it); "
            "bench/run.sh still checks after each UDP run that the services answer.")


def intro_hosts(rows, meta):
    return ("From `%s` on %s, commit %s (load average %s at the start, %s at the end; netcon "
            "services of other sessions running: %s). Between two simulated hosts, a client on "
            "host 2 and a server on host 1; the reference is the kernel's own VXLAN between the "
            "same hosts, measured first in each run, and the ratio is the path's figure / kernel "
            "VXLAN's, run by run, then the median (above 1: faster for throughput, slower for "
            "latency)."
            % (meta.get("command", "bench/run.sh"), meta.get("date", "?"), meta.get("commit", "?"),
               meta.get("load_start", "?"), meta.get("load_end", "?"), meta.get("others", "?")))


def text_hosts(rows, meta):
    groups = meta.get("hosts_groups", "")
    lines = [
        "Each host is a network namespace whose veth end sits on a bridge in a \"wire\" namespace "
        "(underlay 198.19.0.0/24, MTU 1500, multicast routed to eth0), as in "
        "`tests/suites/hosts.sh`. Throughput is one iperf3 stream (%s), latency `bench/pingpong.c` "
        "(64 bytes each way). The paths (MTUs in the rows):" % (meta.get("durations", "").split(",")[0]
                                                                 or "iperf3"),
        "",
        "- **kernel, plain underlay**: iperf3 and pingpong in the two host namespaces, to host 1's "
        "eth0 address.",
        "- **kernel VXLAN**: the kernel's vxlan device in each host (`ip link add vx0 type vxlan "
        "id 42 group G dev eth0 dstport 4789`, MTU 1450, 198.18.200.N/24), root.",
        "- **netcon, vxvde uplink**: one service per host with `--ip 198.18.N.1/16 --uplink "
        "vxvde://G`, run in the host's namespace: it hosts the host's local switch and carries "
        "the uplink (netcon-uplink, one VXLAN datagram per frame on UDP 14789); the programs run "
        "through `intercept` in fresh namespaces (`ip netns exec HOST unshare -n intercept`). "
        "\"Programs on the second service\": a second service per host joins that switch "
        "(198.18.N.2) and the programs use it, so each frame also crosses the switch between "
        "the two services of each host.",
        "- **netcon, tinc uplink**: Debian's tincd 1.0 in each host (Mode = switch, DeviceType = "
        "uml, tinc's default cipher and digest: Blowfish-CBC, 4 bytes of HMAC-SHA1), one service "
        "per host with `--uplink uml://…/uml.sock`; tincd and the services run as nobody, the "
        "programs as root trusting the services' uid (NETCON_SERVICE_UID).",
        "",
        "The netcon rows show the link MTU the switch agreed on (the underlay's 1500 less VXLAN's "
        "50; a fixed 1400 for tinc) and the lwIP interface's MTU, which IPv4's fragment-safe "
        "rounding may make smaller (multicast groups: %s)." % (groups or "?"),
    ]
    retr = [(k.split(":", 1)[1], v.split()) for k, v in meta.items() if k.startswith("hosts_retr:")]
    if retr:
        lines.append("")
        lines.append("iperf3's sender retransmits on the kernel paths, run by run (through netcon the "
                     "sender's socket is lwIP's, and netcon's TCP_INFO has no retransmit count): "
                     + "; ".join("%s: %s" % (k, " ".join(v) or "failed") for k, v in retr) + ".")
    cpu = collections.OrderedDict()
    for k, v in meta.items():
        if k.startswith("hosts_cpu:"):
            label = k[len("hosts_cpu:"):].rsplit(":", 1)[0]
            p = v.split()
            for name, pct in zip(p[::2], p[1::2]):
                cpu.setdefault(label, collections.OrderedDict()).setdefault(name, []).append(float(pct))
    if cpu:
        lines.append("")
        lines.append("CPU used during each throughput run (utime + stime from /proc/PID/stat over the "
                     "iperf3 run, in %% of one CPU, median over runs; the machine has %s CPUs): vN is "
                     "host N's first service (hosting the switch, carrying the uplink), vNb the second, "
                     "tN the tinc path's services, -uplink a service's netcon-uplink, tincN host N's "
                     "tincd; host 2 sends, host 1 receives. The kernel paths' work is in the kernel "
                     "(softirq) and not attributed." % meta.get("nproc", "?"))
        lines.append("")
        for label, procs in cpu.items():
            lines.append("- %s: %s" % (label.split(" (link")[0], ", ".join(
                "%s %.0f%%" % (n, statistics.median(x)) for n, x in procs.items())))
    drops = collections.OrderedDict()
    for k, v in meta.items():
        if k.startswith("hosts_udpdrop:"):
            drops.setdefault(k[len("hosts_udpdrop:"):].rsplit(":", 1)[0], []).append(v)
    if drops:
        lines.append("")
        lines.append("UDP datagrams the hosts' kernels dropped for a full socket receive buffer "
                     "(/proc/net/snmp UdpRcvbufErrors, both hosts, over each throughput run; run by "
                     "run): " + "; ".join("%s: %s" % (k.split(" (link")[0], " ".join(v))
                                          for k, v in drops.items()) + ".")
    up = [(k.split(":", 1)[1], v) for k, v in meta.items() if k.startswith("hosts_uplink:")]
    if up:
        lines.append("")
        lines.append("The uplinks' own counters at the end (netcon-uplink of each switch-hosting "
                     "service: frames to and from the other hosts, frames dropped as too big for "
                     "the MTU, and frames lost to a full socket out/in): "
                     + "; ".join("%s: %s" % (k, v) for k, v in up) + ".")
    return "\n".join(lines)


SECTION_INTRO = {"hosts": intro_hosts}
SECTION_TEXT = {"hosts": text_hosts, "bulk-tap": text_bulk_tap, "bulk-veth": text_bulk_veth, "udp": text_udp, "udp-latency": text_udp_latency, "latency": text_latency, "cpu": text_cpu, "published": text_published,
                "mem": text_mem, "diag": text_diag}


def per_unit(w, counts, calls, top, text):
    """One line of system calls and context switches per unit (round trip,
    connection): counts is "units switches", calls the recorded (name, count)."""
    c = counts.split()
    if len(c) != 2 or not calls or not int(c[0]):
        return
    n = int(c[0])
    w(text % ("{:,}".format(n), sum(k for _, k in calls) / n, int(c[1]) / n,
              ", ".join("%s %.1f" % (name, k / n) for name, k in calls[:top])))
    w("")


def time_section(w, meta, files, notes):
    w("## Where the time goes")
    w("")
    if "time_frames_a" not in meta:
        for n in notes.get("time", ["not measured"]):
            w("- " + n)
        return
    fa = [int(x) for x in meta["time_frames_a"].split()]
    fb = [int(x) for x in meta["time_frames_b"].split()]
    cpu = meta.get("time_cpu", "? ?").split()
    fr = {"a": (fa[2] - fa[0]) + (fa[3] - fa[1]), "b": (fb[2] - fb[0]) + (fb[3] - fb[1])}
    w("A verified bulk transfer b → a over the switch (test_tx on service b, test_rx on service a, "
      "which hosts the switch), measured while it runs: a `perf record -e cpu-clock -F 4999` profile "
      "of both services (%s samples), then 1 s of counting (link frames from `netcon-service status`, "
      "CPU from /proc/PID/stat, system calls with `perf stat -e raw_syscalls:sys_enter`), then 1 s "
      "in which %s names the system calls." % (meta.get("perf_samples", "?"), meta.get("time_tool", "?")))
    w("")
    calls = [int(x) for x in meta.get("time_calls", "").split()]
    w("| service | CPU used | link frames/s (in + out) | system calls/s | system calls per frame |")
    w("|---|---|---|---|---|")
    for i, (s, role) in enumerate((("a", "a: receiving, hosts the switch"), ("b", "b: sending"))):
        c = calls[i] if len(calls) > i else None
        w("| %s | %s%% of a CPU | {:,} | %s | %s |".format(fr[s])
          % (role, cpu[i] if len(cpu) > i else "?", "{:,}".format(c) if c is not None else "—",
             "%.2f" % (c / fr[s]) if c is not None and fr[s] else "—"))
    w("")
    sa, sb = read_pairs(files.get("sys-a")), read_pairs(files.get("sys-b"))
    bd = [int(x) for x in meta.get("time_bd_frames", "0 0").split()]
    if sa or sb:
        ta, tb = sum(c for _, c in sa), sum(c for _, c in sb)
        # Recording starts late and slows the service: take each call's share
        # of the recorded calls, times the counted calls per frame.
        if len(calls) == 2 and fr["a"] and fr["b"]:
            pa, pb = calls[0] / fr["a"], calls[1] / fr["b"]
            how = "each call's share of the recorded calls × the counted calls per frame above"
        else:
            pa = ta / bd[0] if bd[0] else 0
            pb = tb / bd[1] if bd[1] else 0
            how = "recorded calls / frames in the recorded second"
        w("Which system calls, per link frame (%s):" % how)
        w("")
        names = []
        for n, _ in sa[:8] + sb[:8]:
            if n not in names:
                names.append(n)
        da, db = dict(sa), dict(sb)
        w("| system call | a: per frame | b: per frame |")
        w("|---|---|---|")
        for n in names:
            w("| %s | %.2f | %.2f |" % (n, da.get(n, 0) / ta * pa if ta else 0, db.get(n, 0) / tb * pb if tb else 0))
        w("| all | %.2f | %.2f |" % (pa, pb))
        w("")
    pids = meta.get("time_pids", "").split()
    for i, (s, role) in enumerate((("a", "receiving, hosting the switch"), ("b", "sending"))):
        pr = perf_rows(files, pids[i]) if len(pids) == 2 else []
        if not pr:
            continue
        cats = collections.Counter()
        for pct, dso, sym in pr:
            cats[category(dso, sym)] += pct
        w("Service %s (%s): CPU profile by kind (functions above 0.1%% of all samples, summed):" % (s, role))
        w("")
        w("| kind | share of the service's CPU |")
        w("|---|---|")
        for c, pct in cats.most_common():
            w("| %s | %.1f%% |" % (c, pct))
        w("")
        w("Top functions:")
        w("")
        w("| share | where | function |")
        w("|---|---|---|")
        for pct, dso, sym in pr[:12]:
            w("| %.1f%% | %s | `%s` |" % (pct, dso, sym))
        w("")
    per_unit(w, meta.get("time_pp", ""), read_pairs(files.get("sys-pp")), 6,
             "Ping-pong through one service (%s round trips): the service made %.1f system calls "
             "and %.1f context switches per round trip (%s).")
    per_unit(w, meta.get("time_conn", ""), read_pairs(files.get("sys-conn")), 8,
             "New connections through one service (%s connections; both ends are in the service): "
             "%.1f system calls and %.1f context switches of the service per connection (%s).")
    for n in notes.get("time", []):
        w("- Note: " + n)


def udp_time(meta, files):
    """The UDP measurement through one service: a dict, or None."""
    t = meta.get("udp_time", "").split()
    if len(t) != 6:
        return None
    offered, rate, loss, secs, cpu, cs = int(t[0]), int(t[1]), float(t[2]), float(t[3]), int(t[4]), int(t[5])
    calls = read_pairs(files.get("sys-udp"))
    total = sum(c for _, c in calls)
    dg = rate * secs  # datagrams in the counted time, at the run's received rate
    return {"offered": offered, "rate": rate, "loss": loss, "cpu": cpu, "calls": calls,
            "per_dg": total / dg if dg else None, "cs_per_dg": cs / rate if rate else None,
            "us_per_dg": cpu / 100 * 1e6 / rate if rate else None, "secs": secs, "dg": dg}


def udp_pp(meta, files):
    pp = meta.get("udp_time_pp", "").split()
    calls = read_pairs(files.get("sys-upp"))
    if len(pp) != 2 or not int(pp[0]) or not calls:
        return None
    n = int(pp[0])
    return {"n": n, "calls": calls, "per": sum(c for _, c in calls) / n, "cs": int(pp[1]) / n}


def udp_time_section(w, meta, files, notes):
    u = udp_time(meta, files)
    if not u:
        return
    w("## Where the time goes: UDP")
    w("")
    w("One service, `iperf3 -u -l 64` from one intercepted program to another through it, offered "
      "%s datagrams/s (%s), %s datagrams/s received over the 8-s run (%.1f%% lost); over one "
      "second of it the service's system calls were counted by name (%s) with its CPU time "
      "(/proc/PID/stat) and context switches, then one more second was profiled (`perf record -e "
      "cpu-clock -F 4999`)."
      % ("{:,}".format(u["offered"]) if u["offered"] else "as many",
         "the rate found above for one service" if u["offered"] else "`-b 0`",
         "{:,}".format(u["rate"]), u["loss"],
         "perf stat of raw_syscalls:sys_enter and syscalls:sys_enter_NAME" if meta.get("time_tool_udp", "perf") == "perf" else "strace -c -f"))
    w("")
    if u["per_dg"] is not None:
        w("The service used %d%% of a CPU (%.1f µs per datagram), made %.2f system calls and %.3f "
          "context switches per datagram (calls counted over %.2f s):"
          % (u["cpu"], u["us_per_dg"], u["per_dg"], u["cs_per_dg"], u["secs"]))
        w("")
        w("| system call | per datagram |")
        w("|---|---|")
        for n, c in u["calls"][:10]:
            w("| %s | %.2f |" % (n, c / u["dg"]))
        w("| all | %.2f |" % u["per_dg"])
        w("")
    pid = meta.get("udp_time_pid")
    pr = perf_rows(files, pid, "perf-udp") if pid else []
    if pr:
        cats = collections.Counter()
        for pct, dso, sym in pr:
            cats[category(dso, sym)] += pct
        w("CPU profile of the service by kind (functions above 0.1% of its samples, summed):")
        w("")
        w("| kind | share of the service's CPU |")
        w("|---|---|")
        for c, pct in cats.most_common():
            w("| %s | %.1f%% |" % (c, pct))
        w("")
        w("| share | where | function |")
        w("|---|---|---|")
        for pct, dso, sym in pr[:12]:
            w("| %.1f%% | %s | `%s` |" % (pct, dso, sym))
        w("")
    p = udp_pp(meta, files)
    if p:
        w("UDP ping-pong through one service (%s round trips, warm-up included): the service made "
          "%.1f system calls and %.1f context switches per round trip (%s)."
          % ("{:,}".format(p["n"]), p["per"], p["cs"],
             ", ".join("%s %.1f" % (n, c / p["n"]) for n, c in p["calls"][:6])))
        w("")


if __name__ == "__main__":
    main()
