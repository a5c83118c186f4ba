#!/usr/bin/env python3
"""kubenv benchmark harness: kubenv and a plain-kubectl baseline, same run, same control plane.

Started by scripts/bench.sh, which builds kubenv, starts a private control plane and sets up
an isolated HOME/KUBECONFIG/KUBENV_CACHE_DIR. Every command is a real child process; wall
time is measured around spawn+wait, peak memory comes from wait4()'s ru_maxrss of that very
child, and API requests come from the API server's audit log (ResponseComplete events):
kubenv's by the `(pid N)` in its User-Agent, kubectl's by its User-Agent and the run's time
window (the baseline runs one command at a time while it is counted).

kubenv and the baseline alternate run by run, after one discarded warm-up run each, so drift
in the shared machine's load hits both sides alike.
"""

import argparse
import collections
import concurrent.futures
import datetime as dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

FULL = dict(create=15, parallel=2, sleep_kubenv=8, sleep_all=3, sleep_loop=2,
            token=40, token_ref=10, list=15, version=50)
QUICK = dict(create=5, parallel=1, sleep_kubenv=3, sleep_all=2, sleep_loop=1,
             token=15, token_ref=5, list=5, version=20)

LIST_ENVS = 1000
PAR_ENVS, PAR_WORKERS = 100, 10
DEPLOYMENTS, STATEFULSETS = 50, 10

GOALS = {
    # key: (description, kind, threshold)
    "create": ("create one ≤ 0.15× baseline", "ratio", 0.15),
    "parallel": ("100 in parallel ≤ 0.2× baseline", "ratio", 0.2),
    "list": ("list 1,000 ≤ 1.0× baseline", "ratio", 1.0),
    "list_json": ("list 1,000 -o json ≤ 1.0× baseline", "ratio", 1.0),
    "sleepwake_loop": ("sleep+wake 60 ≤ 0.2× per-workload loop", "ratio", 0.2),
    "sleepwake_all": ("sleep+wake 60 ≤ 1.0× `scale --all`", "ratio", 1.0),
    "token": ("token (cached) median ≤ 5 ms", "abs_ms", 5.0),
    "list_rss": ("list 1,000 max RSS ≤ 40 MB", "abs_mb", 40.0),
    "version": ("--version median ≤ 5 ms", "abs_ms", 5.0),
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def pct(xs, p):
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    f = math.floor(k)
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


class Run:
    __slots__ = ("cmd", "secs", "rss_kb", "pid", "code", "t0", "t1", "out", "err")


class Bench:
    def __init__(self, a):
        self.a = a
        self.reps = QUICK if a.quick else FULL
        self.kubenv = a.kubenv
        self.kubectl = a.kubectl
        self.ua_kubectl = os.path.basename(a.kubectl) + "/"
        self.audit_path = os.path.join(a.cp, "audit.log")
        self.env = dict(os.environ)
        self.results = {}      # key -> dict(kubenv=[secs], base=[secs], ...)
        self.rss = {}          # label -> [kB]
        self.req_kubenv = {}   # command label -> [pids]
        self.req_base = {}     # command label -> [(t0, t1)]
        self.pid_times = {}    # kubenv pid -> (t0, t1), wall clock
        self.timelines = {}    # command label -> (wall secs, [(start, end, what)]) of a typical run
        with open("/proc/loadavg") as f:
            self.load_start = " ".join(f.read().split()[:3])
        self.notes = []
        kc = json.loads(self.out([self.kubectl, "config", "view", "--minify", "-o", "json"]))
        self.host_ctx = kc["current-context"]
        self.cluster = kc["clusters"][0]["name"]
        self.env.update(CLUSTER=self.cluster, OWNER=kc["contexts"][0]["context"]["user"],
                        KUBECTL=self.kubectl)

    # ---- processes -------------------------------------------------------------------
    def run(self, cmd, env=None, capture=False, check=True):
        r = Run()
        r.cmd = cmd
        with tempfile.TemporaryFile() as err:
            outf = tempfile.TemporaryFile() if capture else subprocess.DEVNULL
            try:
                r.t0 = time.time()
                start = time.perf_counter()
                p = subprocess.Popen(cmd, env=env or self.env, stdin=subprocess.DEVNULL,
                                     stdout=outf, stderr=err, close_fds=True)
                _, status, ru = os.wait4(p.pid, 0)
                r.secs = time.perf_counter() - start
                r.t1 = time.time()
                r.code = p.returncode = os.waitstatus_to_exitcode(status)
                r.pid, r.rss_kb = p.pid, ru.ru_maxrss
                r.out = ""
                if capture:
                    outf.seek(0)
                    r.out = outf.read().decode(errors="replace")
            finally:
                if capture:
                    outf.close()
            err.seek(0)
            r.err = err.read().decode(errors="replace")
        if check and r.code != 0:
            raise SystemExit(f"bench: command failed ({r.code}): {' '.join(cmd)}\n{r.err}")
        return r

    def kctl_version(self):
        try:
            return json.loads(self.out([self.kubectl, "version", "--client", "-o", "json"]))["clientVersion"]["gitVersion"]
        except Exception:
            return "unknown version"

    def out(self, cmd):
        return subprocess.run(cmd, env=self.env, check=True, capture_output=True, text=True).stdout

    def kctl(self, *args, capture=True):
        return self.out([self.kubectl, *args]) if capture else self.run([self.kubectl, *args])

    def base(self, script, *args, env=None):
        return self.run(["bash", os.path.join(HERE, f"baseline-{script}.sh"), *args], env=env)

    def record(self, key, side, r, label=None):
        d = self.results.setdefault(key, {"kubenv": [], "base": []})
        d[side].append(r.secs)
        if label and side == "kubenv":
            self.req_kubenv.setdefault(label, []).append(r.pid)
            self.pid_times[r.pid] = (r.t0, r.t1)
            self.rss.setdefault(label, []).append(r.rss_kb)
        if label and side == "base":
            self.req_base.setdefault(label, []).append((r.t0, r.t1))
            self.rss.setdefault("baseline " + label, []).append(r.rss_kb)

    # ---- waiting for the control plane to settle (never timed) ----------------------
    def wait(self, what, pred, timeout=180, every=0.25):
        t = time.time()
        while time.time() - t < timeout:
            if pred():
                return True
            time.sleep(every)
        self.notes.append(f"timed out after {timeout}s waiting for {what}; results taken anyway")
        log(f"warning: timed out waiting for {what}")
        return False

    def quiesce(self, timeout=30):
        """Waits until the control plane (etcd, API server, controller manager) is nearly idle,
        so short measurements do not pay for controllers still busy with the previous phase."""
        pids = []
        for p in ("etcd", "apiserver", "kcm"):
            try:
                with open(os.path.join(self.a.cp, f"{p}.pid")) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                pass
        tick = os.sysconf("SC_CLK_TCK")

        def cpu():
            total = 0
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])
                except (OSError, IndexError, ValueError):
                    pass
            return total / tick

        t, calm, last = time.time(), 0, cpu()
        while time.time() - t < timeout and calm < 2:
            time.sleep(0.5)
            now = cpu()
            calm = calm + 1 if now - last < 0.05 else 0
            last = now
        if calm < 2:
            self.notes.append(f"the control plane was still busy after {timeout}s before a phase; measured anyway")

    def pods(self, ns):
        return len(self.kctl("get", "pods", "-n", ns, "-o", "name").split())

    def managed(self):
        return self.kctl("get", "namespaces", "-l", "app.kubernetes.io/managed-by=kubenv",
                         "-o", "jsonpath={range .items[*]}{.status.phase}{'\\n'}{end}").split()

    # ---- scenarios -------------------------------------------------------------------
    def s_create(self):
        n = self.reps["create"]
        log(f"create one environment: {n} runs each (+1 warm-up)")
        self.quiesce()
        for i in range(n + 1):
            k = self.run([self.kubenv, "create", f"c1k-{i}", "--no-switch"])
            b = self.base("create", f"c1b-{i}")
            if i:
                self.record("create", "kubenv", k, "create")
                self.record("create", "base", b, "create")

    def s_delete(self):
        n = self.reps["create"]
        log(f"delete one environment: {n} runs each (+1 warm-up)")
        self.quiesce()
        for i in range(n + 1):
            k = self.run([self.kubenv, "delete", f"c1k-{i}", "--yes"])
            b = self.base("delete", f"env-c1b-{i}")
            if i:
                self.record("delete", "kubenv", k, "delete")
                self.record("delete", "base", b, "delete")

    def s_parallel(self):
        n = self.reps["parallel"]
        per = PAR_ENVS // PAR_WORKERS
        log(f"{PAR_ENVS} environments by {PAR_WORKERS} parallel workers: {n} runs each")
        pdir = os.path.join(self.a.work, "parallel")
        os.makedirs(pdir, exist_ok=True)
        admin = os.path.join(self.a.cp, "admin.kubeconfig")

        def batch(side, rep):
            def worker(w):
                kc = os.path.join(pdir, f"{side}-{rep}-{w}.kubeconfig")
                with open(admin) as s, open(kc, "w") as d:
                    d.write(s.read())
                os.chmod(kc, 0o600)
                env = dict(self.env, KUBECONFIG=kc)
                for j in range(per):
                    name = f"p{side[0]}{rep}-{w}-{j}"
                    if side == "kubenv":
                        self.run([self.kubenv, "create", name, "--no-switch"], env=env)
                    else:
                        self.base("create", name, env=env)
            t = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(PAR_WORKERS) as ex:
                list(ex.map(worker, range(PAR_WORKERS)))
            r = Run()
            r.secs = time.perf_counter() - t
            return r

        for rep in range(n):
            for side in ("kubenv", "base"):
                self.record("parallel", side, batch(side, rep))

    def s_sleep(self):
        name, ns = "sleepy", "env-sleepy"
        log(f"sleep/wake an environment with {DEPLOYMENTS} Deployments + {STATEFULSETS} StatefulSets")
        self.run([self.kubenv, "create", name, "--no-switch"])
        # Fixture: room in the quota for 60 pods (the default template allows 50).
        self.kctl("patch", "resourcequota", "kubenv-quota", "-n", ns, "--type=merge", "-p",
                  json.dumps({"spec": {"hard": {"pods": "200", "requests.cpu": "100",
                                                "limits.cpu": "200", "requests.memory": "200Gi",
                                                "limits.memory": "400Gi"}}}))
        docs = []
        pod = {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]}
        for i in range(DEPLOYMENTS):
            docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": f"web-{i}", "namespace": ns},
                         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": f"web-{i}"}},
                                  "template": {"metadata": {"labels": {"app": f"web-{i}"}}, "spec": pod}}})
        for i in range(STATEFULSETS):
            docs.append({"apiVersion": "apps/v1", "kind": "StatefulSet",
                         "metadata": {"name": f"db-{i}", "namespace": ns},
                         "spec": {"replicas": 1, "serviceName": f"db-{i}",
                                  "selector": {"matchLabels": {"app": f"db-{i}"}},
                                  "template": {"metadata": {"labels": {"app": f"db-{i}"}}, "spec": pod}}})
        f = os.path.join(self.a.work, "workloads.json")
        with open(f, "w") as fh:
            json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, fh)
        self.kctl("apply", "-f", f)
        total = DEPLOYMENTS + STATEFULSETS
        up = lambda: self.wait("all 60 pods to exist", lambda: self.pods(ns) == total, every=0.5)
        down = lambda: self.wait("all pods to be gone", lambda: self.pods(ns) == 0, every=0.5)
        up()
        self.quiesce()

        def rounds(key, n, do_sleep, do_wake, label_s=None, label_w=None, warm=1):
            sums = []
            for i in range(1 - warm, n + 1):
                s = do_sleep()
                down()
                w = do_wake()
                up()
                if i:
                    side = "kubenv" if key == "kubenv" else "base"
                    self.record(f"sleep_{key}", side, s, label_s)
                    self.record(f"wake_{key}", side, w, label_w)
                    sums.append(s.secs + w.secs)
            return sums

        sums_k = rounds("kubenv", self.reps["sleep_kubenv"],
                        lambda: self.run([self.kubenv, "sleep", name]),
                        lambda: self.run([self.kubenv, "wake", name]), "sleep", "wake")
        sums_all = rounds("all", self.reps["sleep_all"],
                          lambda: self.base("scale-all", ns, "0"),
                          lambda: self.base("scale-all", ns, "1"), "sleep (scale --all)", "wake (scale --all)",
                          warm=0)
        sums_loop = rounds("loop", self.reps["sleep_loop"],
                           lambda: self.base("scale-loop", ns, "0"),
                           lambda: self.base("scale-loop", ns, "1"), "sleep (loop)", "wake (loop)",
                           warm=0)
        self.results["sleepwake_loop"] = {"kubenv": sums_k, "base": sums_loop}
        self.results["sleepwake_all"] = {"kubenv": sums_k, "base": sums_all}

    def s_token(self):
        name = "tok"
        n = self.reps["token"]
        log(f"token with a cached credential: {n} runs")
        self.run([self.kubenv, "create", name, "--no-switch"])
        cmd = [self.kubenv, "token", name, "--context", self.host_ctx, "--namespace", f"env-{name}"]
        self.quiesce()
        first = self.run(cmd, capture=True)
        assert json.loads(first.out)["status"]["token"], "kubenv token printed no token"
        self.req_kubenv["token (mint, first run)"] = [first.pid]
        for _ in range(n):
            self.record("token", "kubenv", self.run(cmd), "token (cached)")
        # Reference only: kubectl has no cache, so every credential costs a TokenRequest.
        ref = [self.kubectl, "create", "token", "tenant", "-n", f"env-{name}", "--duration=1h"]
        self.run(ref)
        for _ in range(self.reps["token_ref"]):
            self.results.setdefault("token", {"kubenv": [], "base": []})["base"].append(self.run(ref).secs)

    def s_version(self):
        n = self.reps["version"]
        log(f"start-up: kubenv --version, {n} runs")
        self.quiesce()
        self.run([self.kubenv, "--version"])
        self.run([self.kubectl, "version", "--client"])
        d = self.results.setdefault("version", {"kubenv": [], "base": []})
        spawn = []
        for _ in range(n):
            d["kubenv"].append(self.run([self.kubenv, "--version"]).secs)
            d["base"].append(self.run([self.kubectl, "version", "--client"]).secs)
            spawn.append(self.run(["/bin/true"]).secs)
        self.results["spawn"] = {"kubenv": spawn, "base": []}

    def s_list(self):
        log("list: waiting for deleted namespaces to be finalized")
        self.wait("Terminating namespaces to go", lambda: "Terminating" not in self.managed(), timeout=240, every=1)
        have = len(self.managed())
        need = LIST_ENVS - have
        log(f"list: {have} environments exist; adding {max(need, 0)} to reach {LIST_ENVS}")
        if need > 0:
            self.populate(need)
        self.wait("every quota to be computed", self.quotas_ready, timeout=240, every=1)
        count = len(json.loads(self.run([self.kubenv, "list", "-A", "-o", "json"], capture=True).out)["items"])
        if count != LIST_ENVS:
            self.notes.append(f"list ran with {count} environments, not {LIST_ENVS}")
        self.list_count = count
        n = self.reps["list"]
        log(f"list {count} environments: {n} runs each (+1 warm-up)")
        self.quiesce(timeout=60)
        cmds = [("list", [self.kubenv, "list", "-A"], []),
                ("list_json", [self.kubenv, "list", "-A", "-o", "json"], ["-o", "json"])]
        for i in range(n + 1):
            for key, kcmd, bargs in cmds:
                k = self.run(kcmd)
                b = self.base("list", *bargs)
                if i:
                    label = "list -A" if key == "list" else "list -A -o json"
                    self.record(key, "kubenv", k, label)
                    self.record(key, "base", b, label)

    def quotas_ready(self):
        out = self.kctl("get", "resourcequotas", "-A", "-l", "app.kubernetes.io/managed-by=kubenv",
                        "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.used.pods}{'\\n'}{end}")
        lines = [l for l in out.split() if l.startswith("kubenv-quota=")]
        return len(lines) >= LIST_ENVS and all(l != "kubenv-quota=" for l in lines)

    def populate(self, n):
        """Environments as kubenv list sees them: labelled namespace + kubenv-quota, made with
        `kubectl create` from generated YAML in 4 parallel streams (fast, and not timed)."""
        now = dt.datetime.now(dt.timezone.utc)
        exp = (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        chunks = [[] for _ in range(4)]
        for i in range(n):
            name = f"l-{i:04d}"
            ns = f"env-{name}"
            lab = {"app.kubernetes.io/managed-by": "kubenv", "kubenv.dev/environment": name}
            chunks[i % 4] += [
                {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": ns, "labels": dict(lab, **{
                     "kubenv.dev/owner": f"user{i % 37}", "kubenv.dev/team": f"team{i % 7}",
                     "pod-security.kubernetes.io/enforce": "baseline"}),
                     "annotations": {"kubenv.dev/owner": f"user{i % 37}@example.com",
                                     "kubenv.dev/team": f"team{i % 7}",
                                     "kubenv.dev/template": "standard", "kubenv.dev/expires-at": exp}}},
                {"apiVersion": "v1", "kind": "ResourceQuota",
                 "metadata": {"name": "kubenv-quota", "namespace": ns, "labels": lab},
                 "spec": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8",
                                   "limits.memory": "16Gi", "pods": "50", "services": "20",
                                   "persistentvolumeclaims": "10", "services.loadbalancers": "0",
                                   "services.nodeports": "0"}}},
            ]
        files = []
        for c, docs in enumerate(chunks):
            f = os.path.join(self.a.work, f"list-{c}.json")
            with open(f, "w") as fh:
                json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, fh)
            files.append(f)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda f: self.run([self.kubectl, "create", "-f", f]), files))

    # ---- audit log -------------------------------------------------------------------
    def request_counts(self):
        """Per kubenv command: requests (and what they were), the kubectl baseline's count,
        and where the wall time went: start-up before the first request, the span from the
        first request received to the last response completed, and the time after it."""
        time.sleep(1.5)  # let the API server write the last ResponseComplete events
        by_pid = collections.defaultdict(list)
        kubectl_events = []
        pid_re = re.compile(r"\(pid (\d+)\)")

        def ts(x):
            return dt.datetime.fromisoformat(x.rstrip("Z")).replace(tzinfo=dt.timezone.utc).timestamp()

        with open(self.audit_path, errors="replace") as f:
            for line in f:
                if '"ResponseComplete"' not in line:
                    continue
                if "kubenv/" not in line and self.ua_kubectl not in line:
                    continue
                ev = json.loads(line)
                ua = ev.get("userAgent", "")
                ref = ev.get("objectRef") or {}
                sub = ref.get("subresource")
                code = (ev.get("responseStatus") or {}).get("code", 0)
                what = f"{ev['verb']} {ref.get('resource', ev.get('requestURI', ''))}{'/' + sub if sub else ''}"
                if code >= 400:
                    what += f" ({code})"
                if ua.startswith("kubenv/"):
                    m = pid_re.search(ua)
                    if m:
                        by_pid[int(m.group(1))].append(
                            (ts(ev["requestReceivedTimestamp"]), ts(ev["stageTimestamp"]), what))
                elif ua.startswith(self.ua_kubectl):
                    kubectl_events.append((ts(ev["requestReceivedTimestamp"]), what))
        rows = []
        for label, pids in self.req_kubenv.items():
            counts = [len(by_pid.get(p, [])) for p in pids]
            med = pct(counts, 50)
            rep = min(pids, key=lambda p: abs(len(by_pid.get(p, [])) - med))
            brk = collections.Counter(w for _, _, w in by_pid.get(rep, []))
            base = []
            for bl, wins in self.req_base.items():
                if bl == label or bl.startswith(label + " ("):
                    bc = [sum(1 for t, _ in kubectl_events if t0 <= t <= t1) for t0, t1 in wins]
                    base.append((bl[len(label):].strip(" ()"), pct(bc, 50)))
            pre, span, post = [], [], []
            for p in pids:
                evs = by_pid.get(p)
                if not evs or p not in self.pid_times:
                    continue
                t0, t1 = self.pid_times[p]
                first, last = min(e[0] for e in evs), max(e[1] for e in evs)
                pre.append(first - t0)
                span.append(last - first)
                post.append(t1 - last)
            timing = tuple(pct(x, 50) if x else float("nan") for x in (pre, span, post))
            rows.append((label, med, min(counts), max(counts), base, brk, timing))
            # The request timeline of the median-time run, for the commands worth reading in detail.
            if label in ("create", "delete", "list -A") and any(p in self.pid_times for p in pids):
                timed = [p for p in pids if p in self.pid_times and by_pid.get(p)]
                mid = sorted(timed, key=lambda p: self.pid_times[p][1] - self.pid_times[p][0])[len(timed) // 2]
                t0, t1 = self.pid_times[mid]
                self.timelines[label] = (t1 - t0, [(a - t0, b - t0, w) for a, b, w in sorted(by_pid[mid])])
        return rows


def fmt_base(base):
    return ", ".join(f"{n:g}" + (f" ({w})" if w else "") for w, n in base)


def fmt_s(x):
    if x != x:
        return "–"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cp", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kubenv", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    started = time.time()
    b = Bench(a)
    phases = [b.s_version, b.s_create, b.s_delete, b.s_token, b.s_parallel, b.s_sleep, b.s_list]
    for ph in phases:
        t = time.time()
        ph()
        log(f"  ({time.time() - t:.0f}s)")
    log("reading the audit log")
    reqs = b.request_counts()
    report(b, reqs, a, time.time() - started)


def machine(repo):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=repo).stdout.strip()
        except Exception:
            return ""
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for l in f:
            if l.startswith("MemTotal:"):
                mem_kb = int(l.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    commit = sh("git rev-parse --short HEAD")
    dirty = sh("git status --porcelain -- src Cargo.toml Cargo.lock")
    return {
        "nproc": sh("nproc"), "mem": f"{mem_kb / 1048576:.1f} GiB", "cpu": cpu or platform.processor(),
        "kernel": platform.release(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes in src/)" if dirty else ""),
        "subject": sh("git log -1 --format=%s"),
        "rustc": os.environ.get("BENCH_RUSTC") or sh("rustc --version"),
        "load": sh("cut -d' ' -f1-3 /proc/loadavg"),
    }


def report(b, reqs, a, elapsed):
    R = b.results
    med = lambda k, s: pct(R[k][s], 50)
    p90 = lambda k, s: pct(R[k][s], 90)
    rows = []  # (scenario, k_med, k_p90, b_med, b_p90, ratio, goal, status, n)

    def ratio_row(title, key, basekey=None, goal=None, base_title=None):
        bk = basekey or key
        km, kp = med(key, "kubenv"), p90(key, "kubenv")
        bm, bp = med(bk, "base"), p90(bk, "base")
        ratio = km / bm if bm else float("nan")
        g, st = "", ""
        if goal:
            desc, kind, thr = GOALS[goal]
            g = f"≤ {thr:g}×"
            st = "met" if ratio <= thr else "MISSED"
        rows.append((title, fmt_s(km), fmt_s(kp), base_title, fmt_s(bm), fmt_s(bp),
                     f"{ratio:.2f}", g, st, f"{len(R[key]['kubenv'])}/{len(R[bk]['base'])}"))

    def abs_row(title, key, goal, base_title=None, value=None, unit="ms"):
        desc, kind, thr = GOALS[goal]
        if kind == "abs_mb":
            v = value
            rows.append((title, f"{v:.1f} MB", "", base_title or "", "", "", "", f"≤ {thr:g} MB",
                         "met" if v <= thr else "MISSED", ""))
            return
        km, kp = med(key, "kubenv"), p90(key, "kubenv")
        bs = R[key]["base"]
        bm = pct(bs, 50) if bs else float("nan")
        bp = pct(bs, 90) if bs else float("nan")
        rows.append((title, fmt_s(km), fmt_s(kp), base_title or "", fmt_s(bm), fmt_s(bp),
                     f"{km / bm:.2f}" if bs else "", f"≤ {thr:g} ms",
                     "met" if km * 1000 <= thr else "MISSED",
                     f"{len(R[key]['kubenv'])}/{len(bs)}"))

    lc = getattr(b, "list_count", LIST_ENVS)
    ratio_row("create one environment", "create", goal="create",
              base_title="apply + create token + set-context")
    ratio_row(f"{PAR_ENVS} environments, {PAR_WORKERS} workers", "parallel", goal="parallel",
              base_title="same script, 10 workers")
    ratio_row(f"list -A ({lc} envs)", "list", goal="list", base_title="kubectl get ns -l")
    ratio_row(f"list -A -o json ({lc} envs)", "list_json", goal="list_json", base_title="kubectl get ns -l -o json")
    ratio_row("sleep (60 workloads)", "sleep_kubenv", "sleep_loop", base_title="kubectl scale loop")
    ratio_row("wake (60 workloads)", "wake_kubenv", "wake_loop", base_title="kubectl scale loop")
    ratio_row("sleep + wake vs loop", "sleepwake_loop", goal="sleepwake_loop", base_title="kubectl scale loop")
    ratio_row("sleep + wake vs --all", "sleepwake_all", goal="sleepwake_all", base_title="kubectl scale --all")
    abs_row("token (cached)", "token", "token", base_title="ref: kubectl create token")
    ratio_row("delete one environment", "delete", base_title="kubectl delete ns --wait=false")
    rss_list = max(b.rss.get("list -A", [0]))
    rss_json = max(b.rss.get("list -A -o json", [0]))
    abs_row(f"list -A max RSS ({lc} envs)", None, "list_rss", value=rss_list / 1024)
    abs_row(f"list -A -o json max RSS ({lc} envs)", None, "list_rss", value=rss_json / 1024)
    abs_row("--version (start-up)", "version", "version", base_title="ref: kubectl version --client")

    m = machine(a.repo)
    head = ("scenario", "kubenv median", "p90", "baseline", "median", "p90", "ratio", "goal", "", "runs k/b")
    # ---- terminal table
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
    print()
    print(f"kubenv benchmark ({'quick' if a.quick else 'full'}) — {m['nproc']} CPUs, {m['mem']}, {m['cpu']}; "
          f"{m['date']}; commit {m['commit']}")
    print(line(head))
    for r in rows:
        print(line(r))
    print()
    print("API requests per kubenv command (audit log, ResponseComplete, by User-Agent pid):")
    for label, medn, lo, hi, base, brk, (pre, span, post) in reqs:
        bs = f"   kubectl baseline: {fmt_base(base)}" if base else ""
        tl = f"   start-up {fmt_s(pre)}, API {fmt_s(span)}, after {fmt_s(post)}" if pre == pre else ""
        print(f"  {label:28} {medn:g} (min {lo}, max {hi}){bs}{tl}")
        print(f"  {'':28} " + ", ".join(f"{k} ×{v}" for k, v in sorted(brk.items(), key=lambda x: -x[1])))
    spawn = pct(R["spawn"]["kubenv"], 50)
    print(f"\nharness spawn+wait overhead (/bin/true): median {fmt_s(spawn)}; total bench time {elapsed:.0f}s")
    for n in b.notes:
        print(f"note: {n}")

    if not a.out:
        return
    md = []
    md.append("# Benchmarks\n")
    md.append("kubenv against what a platform team writes without it (plain `kubectl` scripts), measured "
              "in the same run, on the same local control plane, one command after the other.\n")
    md.append("Re-run with `scripts/bench.sh` (about 10 minutes on 2 cores, plus the release build) or "
              "`scripts/bench.sh --quick` (about 5 minutes, fewer repetitions). It builds "
              "`target/release/kubenv`, starts its own control plane (`scripts/controlplane.sh`: "
              "kube-apiserver v1.20.2 + etcd + kube-controller-manager, no scheduler, no nodes) in a fresh "
              "temporary folder, uses a private `HOME`, `KUBECONFIG` and `KUBENV_CACHE_DIR`, stops "
              "everything on exit and rewrites this file.\n")
    md.append("## Results\n")
    md.append(f"- Run: {'quick' if a.quick else 'full'}, {m['date']}, commit `{m['commit']}` ({m['subject']})")
    md.append(f"- Machine: {m['nproc']} CPUs (`nproc`), {m['mem']} memory, {m['cpu']}, Linux {m['kernel']}; "
              f"load average {b.load_start} at the start, {m['load']} at the end (shared machine: expect noise)")
    md.append(f"- kubenv built with {m['rustc']}, `cargo build --release`; baseline client "
              f"`{os.path.basename(a.kubectl)}` ({b.kctl_version()}); whole bench {elapsed / 60:.1f} min\n")
    md.append("| scenario | kubenv median | kubenv p90 | baseline | baseline median | baseline p90 | kubenv/baseline | goal | |")
    md.append("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        md.append("| " + " | ".join(str(c) for c in r[:9]) + " |")
    md.append("")
    md.append(f"Runs per row (kubenv/baseline): " + "; ".join(f"{r[0]} {r[9]}" for r in rows if r[9]) + ".")
    md.append(f"Times are wall-clock from spawn to exit of the child process, as seen by the harness; "
              f"spawning `/bin/true` the same way takes {fmt_s(spawn)} (median), included in every number. "
              f"\"ref:\" rows are context, not a like-for-like baseline.\n")
    md.append("### API requests per kubenv command\n")
    md.append("Counted in the API server's audit log (stage `ResponseComplete`), matched by the `(pid N)` "
              "in kubenv's User-Agent; failed requests show their status code. The baseline column counts "
              "the kubectl requests in the time window of each baseline run (median). The three timing "
              "columns split kubenv's wall time (medians, API server timestamps against the harness's "
              "clock): process start to the first request the server received (start-up, kubeconfig, "
              "TCP+TLS), first request to last response (the API conversation), last response to exit.\n")
    md.append("| command | requests (median) | min–max | kubectl baseline | start → 1st request | 1st request → last response | last response → exit | requests of a typical run |")
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, medn, lo, hi, base, brk, (pre, span, post) in reqs:
        bd = ", ".join(f"{k} ×{v}" for k, v in sorted(brk.items(), key=lambda x: -x[1])) or "none"
        md.append(f"| {label} | {medn:g} | {lo}–{hi} | {fmt_base(base)} | {fmt_s(pre)} | {fmt_s(span)} | "
                  f"{fmt_s(post)} | {bd} |")
    md.append("")
    md.append("")
    if b.timelines:
        md.append("### Where a typical run's time goes\n")
        md.append("Each request of the run with the median wall time, as the API server logged it: received "
                  "→ completed, in ms since the harness spawned the process.\n")
        for label, (wall, evs) in b.timelines.items():
            md.append(f"`kubenv {label}` ({wall * 1000:.0f} ms wall):\n")
            md.append("```")
            for a_, z_, w in evs:
                md.append(f"{a_ * 1000:7.1f} → {z_ * 1000:7.1f}  {w}")
            md.append(f"{wall * 1000:7.1f}            exit")
            md.append("```\n")
    md.append("### Peak memory (max RSS, from `wait4`)\n")
    md.append("For the baseline scripts this is the largest kubectl process they ran (`wait4` reports "
              "the peak of the child and the children it waited for).\n")
    md.append("| command | max RSS (largest run) |")
    md.append("| --- | ---: |")
    for label in ("list -A", "list -A -o json", "baseline list -A", "baseline list -A -o json",
                  "create", "baseline create", "sleep", "wake", "token (cached)", "delete"):
        if label in b.rss:
            md.append(f"| {'kubenv ' + label if not label.startswith('baseline') else label.replace('baseline', 'kubectl baseline:')} "
                      f"| {max(b.rss[label]) / 1024:.1f} MB |")
    md.append("")
    if b.notes:
        md.append("Notes from this run: " + "; ".join(b.notes) + "\n")
    md.append(METHOD)
    # A hand-written analysis below the marker survives re-runs (re-read it against new numbers).
    kept = ""
    try:
        with open(a.out) as f:
            old = f.read()
        if ANALYSIS_MARKER in old:
            kept = old[old.index(ANALYSIS_MARKER):]
    except OSError:
        pass
    with open(a.out, "w") as f:
        f.write("\n".join(md) + ("\n" + kept if kept else ""))
    log(f"wrote {a.out}")


ANALYSIS_MARKER = "<!-- analysis: written by hand, kept by scripts/bench.sh when it rewrites the results above -->"

METHOD = """## What is measured

| # | kubenv | baseline (`scripts/bench/baseline-*.sh`) |
| --- | --- | --- |
| 1 | `kubenv create NAME --no-switch` (namespace, quota, limits, network policy, ServiceAccount, RoleBinding; writes a context whose user is the `kubenv token` exec plugin) | `baseline-create.sh NAME`: one `kubectl apply -f -` of a multi-document YAML with the same objects, labels, annotations and quota values; `kubectl create token tenant --duration=1h`; `kubectl config set-credentials` + `set-context` |
| 2 | 100 × `kubenv create` by 10 parallel workers, 10 each, each worker with its own copy of the kubeconfig | the same with `baseline-create.sh` |
| 3 | `kubenv list -A` and `kubenv list -A -o json` with 1,000 environments | `kubectl get namespaces -l app.kubernetes.io/managed-by=kubenv` (and `-o json`) |
| 4 | `kubenv sleep NAME`, then `kubenv wake NAME`, environment with 50 Deployments + 10 StatefulSets (1 replica each) | `baseline-scale-loop.sh`: `kubectl get deploy,sts -o name`, then one `kubectl scale --replicas=0` (wake: `=1`) per workload; and `baseline-scale-all.sh`: `kubectl scale deploy,sts --all --replicas=0` (wake: `=1`) |
| 5 | `kubenv token NAME --context CTX --namespace NS` with a fresh cached token | none (kubectl has no credential cache); `kubectl create token` shown for reference |
| 6 | `kubenv delete NAME --yes` (no `--wait`) | `kubectl delete namespace NS --wait=false` |
| 7 | max RSS of `kubenv list -A` with 1,000 environments; `kubenv --version` start-up | `kubectl version --client` for reference |

How the numbers are taken:

- kubenv and baseline runs alternate, after one discarded warm-up run of each (warm page cache,
  warm kubectl discovery cache, as on a workstation); the 100-environment batches alternate too.
- Between sleep/wake runs the harness waits, untimed, until the controllers have finished
  (all 60 pods exist, or none), so every run starts from the same state. No scheduler runs, so
  pods stay Pending; the fixture raises the environment's quota to 200 pods so all 60 fit.
- The 1,000 environments for `list` are the ones the earlier scenarios left plus generated ones
  (a labelled namespace and a `kubenv-quota` ResourceQuota each, made with `kubectl create`),
  and the harness waits until every quota's usage has been computed and no namespace is
  Terminating before it measures.
- The baseline is kubectl itself, never a wrapper: when `kubectl` is a version dispatcher (the
  Google Cloud SDK's is), the harness calls the real `kubectl.1.NN` binary it would dispatch
  to, so the baseline does not pay the dispatcher's extra start-up.
- What the baseline does not do and kubenv does: read the platform policy, identify the caller,
  record expiry/owner from the policy, refuse unmanaged or foreign namespaces, take a per-
  environment lock, block new pods while asleep and record each workload's replica count
  (the baseline wakes everything to 1), remove the context and cached token on delete, and
  write a context that never goes stale (the baseline's token expires in an hour).
"""


if __name__ == "__main__":
    main()
