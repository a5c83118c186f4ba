#!/usr/bin/env python3
"""kubenv benchmark harness: kubenv and a plain-kubectl baseline, same run, same control plane.

Started by scripts/bench.sh, which builds kubenv, starts a private control plane (etcd syncing
to disk, the API server's default in-flight limits), installs kubenv's policy and roles with
`kubenv admin init --engineers-group kubenv:engineers` and sets up an isolated
HOME/KUBECONFIG/KUBENV_CACHE_DIR whose kubeconfig is an engineer's (token user alice, group
kubenv:engineers): kubenv and the baseline act with exactly the rights of kubenv's engineer
role, never as system:masters (which API Priority and Fairness exempts). The cluster-admin
kubeconfig is used only for fixtures, which are never timed.

Every command is a real child process; wall time is measured around spawn+wait, peak memory
comes from wait4()'s ru_maxrss of that very child, and API requests come from the API server's
audit log (ResponseComplete events): kubenv's by the `(pid N)` in its User-Agent, kubectl's
by its User-Agent and the run's time window (nothing else runs kubectl while it is counted).

Every scenario treats both sides alike: one discarded warm-up run of each, then runs that
alternate kubenv, baseline, kubenv, ... the same number of times, so drift in the shared
machine's load hits both sides alike.
"""

import argparse
import collections
import concurrent.futures
import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

FULL = dict(create=15, first=10, parallel=1, sleep=2, token=40, list=10, list_big=5, version=50,
            list_big_envs=10000, gc_envs=1000)
QUICK = dict(create=4, first=3, parallel=1, sleep=1, token=10, list=3, list_big=2, version=15,
             list_big_envs=2000, gc_envs=200)

LIST_ENVS = 1000
PAR_ENVS, PAR_WORKERS = 100, 10
DEPLOYMENTS, STATEFULSETS = 50, 10
SCALE_PARALLEL = 10    # xargs -P of the per-workload baseline
GC_CONCURRENCY = 16    # src/env/gc.rs GC_CONCURRENCY: environments at a time
GC_REQS_PER_ENV = 2    # most requests one environment's gc step has in flight (its two audit events)

GOALS = {
    # key: (description, kind, threshold)
    "create": ("create one ≤ 0.15× baseline", "ratio", 0.15),
    "first": ("create + first kubectl command ≤ 0.25× baseline", "ratio", 0.25),
    "parallel": ("100 in parallel ≤ 0.2× baseline", "ratio", 0.2),
    "list": ("list 1,000 ≤ 1.0× baseline", "ratio", 1.0),
    "list_json": ("list 1,000 -o json ≤ 1.0× baseline", "ratio", 1.0),
    "list_big": ("list 10,000 ≤ 0.5× baseline", "ratio", 0.5),
    "list_big_json": ("list 10,000 -o json ≤ 0.5× baseline", "ratio", 0.5),
    "sleepwake_loop": ("sleep+wake 60 ≤ 0.2× per-workload kubectl (xargs -P)", "ratio", 0.2),
    "sleepwake_all": ("sleep+wake 60 ≤ 1.0× `scale --all`", "ratio", 1.0),
    "token": ("token (cached) median ≤ 5 ms", "abs_ms", 5.0),
    "list_rss": ("list 1,000 max RSS ≤ 40 MB", "abs_mb", 40.0),
    "list_big_rss": ("list 10,000 max RSS ≤ 60 MB", "abs_mb", 60.0),
    "version": ("--version median ≤ 5 ms", "abs_ms", 5.0),
    "gc_inflight": ("gc peak in-flight requests ≤ 16 environments × 2", "abs_n", GC_CONCURRENCY * GC_REQS_PER_ENV),
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


class Admin:
    """The cluster-admin's HTTP client for fixtures (never timed): one keep-alive TLS
    connection per thread, JSON in and out."""

    def __init__(self, kubeconfig):
        server = token = ca = None
        with open(kubeconfig) as f:
            for line in f:
                k, _, v = line.strip().partition(": ")
                if k == "server":
                    server = v
                elif k == "token":
                    token = v
                elif k == "certificate-authority":
                    ca = v
        self.host, self.port = server.split("://", 1)[1].rsplit(":", 1)
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca)
        self.local = threading.local()

    def conn(self, fresh=False):
        c = getattr(self.local, "c", None)
        if c is None or fresh:
            c = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=60)
            self.local.c = c
        return c

    def req(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                   "User-Agent": "bench-fixture"}
        if data is not None:
            headers["Content-Type"] = ctype
        for attempt in range(5):
            try:
                c = self.conn(fresh=attempt > 0)
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                out = r.read()
            except (OSError, http.client.HTTPException):
                time.sleep(0.2 * (attempt + 1))
                continue
            if r.status in ok:
                return json.loads(out) if out else None
            if r.status in (429, 500, 503, 504):
                time.sleep(0.2 * (attempt + 1))
                continue
            raise SystemExit(f"bench: {method} {path} -> {r.status}: {out[:300]!r}")
        raise SystemExit(f"bench: {method} {path} kept failing")

    def list_all(self, path):
        """Every item of a list, paged."""
        items, cont = [], ""
        sep = "&" if "?" in path else "?"
        while True:
            r = self.req("GET", f"{path}{sep}limit=500" + (f"&continue={cont}" if cont else ""))
            items += r.get("items") or []
            cont = (r.get("metadata") or {}).get("continue") or ""
            if not cont:
                return items


class Bench:
    def __init__(self, a):
        self.a = a
        self.reps = QUICK if a.quick else FULL
        self.kubenv = a.kubenv
        self.kubectl = a.kubectl
        self.ua_kubectl = os.path.basename(a.kubectl) + "/"
        self.audit_path = os.path.join(a.cp, "audit.log")
        self.admin_kc = os.path.join(a.cp, "admin.kubeconfig")
        self.admin = Admin(self.admin_kc)
        self.env = dict(os.environ)
        self.results = {}      # key -> dict(kubenv=[secs], base=[secs], ...)
        self.rss = {}          # label -> [kB]
        self.req_kubenv = {}   # command label -> [pids]
        self.req_base = {}     # command label -> [(t0, t1)]
        self.pid_times = {}    # kubenv pid -> (t0, t1), wall clock
        self.timelines = {}    # command label -> (wall secs, [(start, end, what)]) of a typical run
        self.parts = {}        # first-kubectl breakdown: key -> [secs]
        self.gc = None         # the gc run: dict
        with open("/proc/loadavg") as f:
            self.load_start = " ".join(f.read().split()[:3])
        self.notes = []
        kc = json.loads(self.out([self.kubectl, "config", "view", "--minify", "-o", "json"]))
        self.host_ctx = kc["current-context"]
        self.cluster = kc["clusters"][0]["name"]
        self.me = json.loads(self.out([self.kubectl, "auth", "whoami", "-o", "json"]))["status"]["userInfo"]["username"]
        self.env.update(CLUSTER=self.cluster, OWNER=self.me, KUBECTL=self.kubectl)
        self.admin_env = dict(self.env, KUBECONFIG=self.admin_kc)

    # ---- processes -------------------------------------------------------------------
    def run(self, cmd, env=None, capture=False, check=True):
        r = Run()
        r.cmd = cmd
        with tempfile.TemporaryFile() as err:
            outf = tempfile.TemporaryFile() if capture else subprocess.DEVNULL
            try:
                # Through spawn-rss: Linux carries the peak RSS across exec, so a child of
                # this (large) Python process would report this process's peak, not its own.
                rssf = os.path.join(self.a.work, f"rss.{threading.get_ident()}")
                full = [self.a.spawn_rss, rssf, *cmd] if self.a.spawn_rss else cmd
                r.t0 = time.time()
                start = time.perf_counter()
                p = subprocess.Popen(full, env=env or self.env, stdin=subprocess.DEVNULL,
                                     stdout=outf, stderr=err, close_fds=True)
                _, status, ru = os.wait4(p.pid, 0)
                r.secs = time.perf_counter() - start
                r.t1 = time.time()
                r.code = p.returncode = os.waitstatus_to_exitcode(status)
                r.pid, r.rss_kb = p.pid, ru.ru_maxrss
                if self.a.spawn_rss:
                    with open(rssf) as f:
                        pid, rss = f.read().split()
                    r.pid, r.rss_kb = int(pid), int(rss)
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

    def run_seq(self, cmds, env=None):
        """Runs commands one after the other; one Run covering them all (wall time from the
        first spawn to the last exit; the largest RSS). Also returns each part's Run."""
        parts = [self.run(c, env=env) for c in cmds]
        r = Run()
        r.cmd = cmds
        r.secs = sum(p.secs for p in parts)
        r.rss_kb = max(p.rss_kb for p in parts)
        r.t0, r.t1, r.pid, r.code = parts[0].t0, parts[-1].t1, parts[0].pid, 0
        return r, parts

    def kctl_version(self):
        try:
            return json.loads(self.out([self.kubectl, "version", "--client", "-o", "json"]))["clientVersion"]["gitVersion"]
        except Exception:
            return "unknown version"

    def out(self, cmd, env=None):
        return subprocess.run(cmd, env=env or self.env, check=True, capture_output=True, text=True).stdout

    def kctl(self, *args):
        """kubectl as the cluster admin, for fixtures and waits (never timed)."""
        return self.out([self.kubectl, *args], env=self.admin_env)

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

    def alternate(self, n, kubenv, base, key, label=None):
        """One discarded warm-up run of each side, then n runs of each, alternating."""
        for i in range(n + 1):
            k = kubenv(i)
            b = base(i)
            if i:
                self.record(key, "kubenv", k, label)
                self.record(key, "base", b, label)

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
        """Waits until the control plane (etcd, API server, controller manager, scheduler,
        kwok) is nearly idle, so short measurements do not pay for controllers still busy
        with the previous phase."""
        pids = []
        for p in ("etcd", "apiserver", "kcm", "scheduler", "kwok"):
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
            calm = calm + 1 if now - last < 0.08 else 0
            last = now
        if calm < 2:
            self.notes.append(f"the control plane was still busy after {timeout}s before a phase; measured anyway")

    def running_pods(self, ns):
        pods = self.admin.list_all(f"/api/v1/namespaces/{ns}/pods")
        return len(pods), sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running"
                              and not p["metadata"].get("deletionTimestamp"))

    def managed(self):
        return [(n.get("status") or {}).get("phase") for n in
                self.admin.list_all("/api/v1/namespaces?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkubenv")]

    # ---- scenarios -------------------------------------------------------------------
    def s_create(self):
        n = self.reps["create"]
        log(f"create one environment: {n} runs each (+1 warm-up)")
        self.quiesce()
        self.alternate(n, lambda i: self.run([self.kubenv, "create", f"c1k-{i}", "--no-switch"]),
                       lambda i: self.base("create", f"c1b-{i}"), "create", "create")

    def s_first(self):
        """Time to the first working kubectl command in a new environment: kubenv create, then
        kubectl in its context (which runs the `kubenv token` exec plugin, so it pays for
        minting the first token); against the baseline script and the same kubectl call."""
        n = self.reps["first"]
        log(f"create + first kubectl command: {n} runs each (+1 warm-up)")
        self.quiesce()
        for side in ("k_create", "k_get", "b_script", "b_get"):
            self.parts[side] = []

        def k(i):
            r, (c, g) = self.run_seq([[self.kubenv, "create", f"fk-{i}", "--no-switch"],
                                      [self.kubectl, "--context", f"kubenv-fk-{i}", "get", "configmaps"]])
            if i:
                self.parts["k_create"].append(c.secs)
                self.parts["k_get"].append(g.secs)
            return r

        def b(i):
            r, (c, g) = self.run_seq([["bash", os.path.join(HERE, "baseline-create.sh"), f"fb-{i}"],
                                      [self.kubectl, "--context", f"env-fb-{i}", "get", "configmaps"]])
            if i:
                self.parts["b_script"].append(c.secs)
                self.parts["b_get"].append(g.secs)
            return r

        self.alternate(n, k, b, "first")

    def s_delete(self):
        n = self.reps["create"]
        log(f"delete one environment: {n} runs each (+1 warm-up)")
        self.quiesce()
        self.alternate(n, lambda i: self.run([self.kubenv, "delete", f"c1k-{i}", "--yes"]),
                       lambda i: self.base("delete", f"env-c1b-{i}"), "delete", "delete")

    def s_parallel(self):
        n = self.reps["parallel"]
        per = PAR_ENVS // PAR_WORKERS
        log(f"{PAR_ENVS} environments by {PAR_WORKERS} parallel workers: {n} runs each (+1 warm-up of 10)")
        pdir = os.path.join(self.a.work, "parallel")
        os.makedirs(pdir, exist_ok=True)
        engineer = os.environ["KUBECONFIG"]

        def batch(side, rep, count):
            def worker(w):
                kc = os.path.join(pdir, f"{side}-{rep}-{w}.kubeconfig")
                with open(engineer) as s, open(kc, "w") as d:
                    d.write(s.read())
                os.chmod(kc, 0o600)
                env = dict(self.env, KUBECONFIG=kc)
                for j in range(count):
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

        self.quiesce()
        # Warm-up: one environment per worker and side.
        self.alternate(n, lambda i: batch("kubenv", i, per if i else 1),
                       lambda i: batch("base", i, per if i else 1), "parallel")

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
        up = lambda: self.wait(f"all {total} pods to be Running",
                               lambda: self.running_pods(ns) == (total, total), every=0.5)
        down = lambda: self.wait("all pods to be gone", lambda: self.running_pods(ns)[0] == 0, every=0.5)
        up()
        sides = [
            ("kubenv", lambda: self.run([self.kubenv, "sleep", name]),
             lambda: self.run([self.kubenv, "wake", name]), "sleep", "wake"),
            ("loop", lambda: self.base("scale-loop", ns, "0"), lambda: self.base("scale-loop", ns, "1"),
             "sleep (xargs -P)", "wake (xargs -P)"),
            ("all", lambda: self.base("scale-all", ns, "0"), lambda: self.base("scale-all", ns, "1"),
             "sleep (scale --all)", "wake (scale --all)"),
        ]
        n = self.reps["sleep"]
        log(f"sleep + wake: kubenv, per-workload kubectl (xargs -P {SCALE_PARALLEL}) and `scale --all` "
            f"alternating, {n} rounds (+1 warm-up)")
        sums = {k: [] for k, *_ in sides}
        for i in range(n + 1):
            for key, do_sleep, do_wake, label_s, label_w in sides:
                self.quiesce(timeout=10)
                s = do_sleep()
                down()
                self.quiesce(timeout=10)
                w = do_wake()
                up()
                if i:
                    side = "kubenv" if key == "kubenv" else "base"
                    self.record(f"sleep_{key}", side, s, label_s)
                    self.record(f"wake_{key}", side, w, label_w)
                    sums[key].append(s.secs + w.secs)
        self.results["sleepwake_loop"] = {"kubenv": sums["kubenv"], "base": sums["loop"]}
        self.results["sleepwake_all"] = {"kubenv": sums["kubenv"], "base": sums["all"]}

    def s_token(self):
        name = "tok"
        n = self.reps["token"]
        log(f"token with a cached credential: {n} runs each (+1 warm-up), kubectl create token for reference")
        self.run([self.kubenv, "create", name, "--no-switch"])
        cmd = [self.kubenv, "token", name, "--context", self.host_ctx, "--namespace", f"env-{name}"]
        self.quiesce()
        first = self.run(cmd, capture=True)
        assert json.loads(first.out)["status"]["token"], "kubenv token printed no token"
        self.req_kubenv["token (mint, first run)"] = [first.pid]
        # Reference only: kubectl has no cache, so every credential costs a TokenRequest.
        ref = [self.kubectl, "create", "token", "tenant", "-n", f"env-{name}", "--duration=1h"]
        self.alternate(n, lambda i: self.run(cmd), lambda i: self.run(ref), "token", "token (cached)")

    def s_version(self):
        n = self.reps["version"]
        log(f"start-up: kubenv --version, {n} runs each (+1 warm-up)")
        self.quiesce()
        spawn = []

        def k(i):
            spawn.append(self.run(["/bin/true"]).secs)
            return self.run([self.kubenv, "--version"])

        self.alternate(n, k, lambda i: self.run([self.kubectl, "version", "--client"]), "version")
        self.results["spawn"] = {"kubenv": spawn[1:], "base": []}

    # ---- list at 1,000 and 10,000 environments --------------------------------------
    def settle_list(self, want, expired=0):
        log("list: waiting for deleted namespaces to be finalized")
        self.wait("Terminating namespaces to go", lambda: "Terminating" not in self.managed(), timeout=300, every=2)
        have = len(self.managed())
        if want > have:
            log(f"list: {have} environments exist; adding {want - have} to reach {want}")
            t = time.time()
            self.populate(want - have, expired=min(expired, want - have))
            log(f"list: added them in {time.time() - t:.0f}s")
        log("list: waiting until every quota's usage is computed")
        self.wait("every quota to be computed", lambda: self.quotas_ready(want), timeout=600, every=3)
        count = len(json.loads(self.run([self.kubenv, "list", "-A", "-o", "json"], capture=True).out)["items"])
        if count != want:
            self.notes.append(f"list ran with {count} environments, not {want}")
        return count

    def list_runs(self, n, count, suffix, goal_key):
        log(f"list {count} environments: {n} runs each (+1 warm-up)")
        self.quiesce(timeout=90)
        for key, kargs, bargs in ((goal_key, [], []), (goal_key + "_json", ["-o", "json"], ["-o", "json"])):
            label = f"list -A{' -o json' if kargs else ''}{suffix}"
            self.alternate(n, lambda i: self.run([self.kubenv, "list", "-A", *kargs]),
                           lambda i: self.base("list", *bargs), key, label)

    def s_list(self):
        self.list_count = self.settle_list(LIST_ENVS)
        self.list_runs(self.reps["list"], self.list_count, "", "list")

    def s_list_big(self):
        want = self.reps["list_big_envs"]
        # gc's expired environments are among them, as they would be on a real cluster.
        self.list_big_count = self.settle_list(want, expired=self.reps["gc_envs"])
        self.list_runs(self.reps["list_big"], self.list_big_count, f" ({want})", "list_big")

    def quotas_ready(self, want):
        qs = self.admin.list_all("/api/v1/resourcequotas?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkubenv"
                                 "&fieldSelector=metadata.name%3Dkubenv-quota")
        return len(qs) >= want and all("pods" in ((q.get("status") or {}).get("used") or {}) for q in qs)

    def populate(self, n, expired=0):
        """Environments as kubenv writes them (namespace labels and annotations of
        src/env/objects.rs `namespace`, created with field manager kubenv; the kubenv-quota
        ResourceQuota server-side applied by kubenv), straight through the API with keep-alive
        connections in 8 threads: fast, and never timed. The first `expired` have an expiry in
        the past (gc's work)."""
        now = dt.datetime.now(dt.timezone.utc)
        fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        exp_future, exp_past, last = fmt(now + dt.timedelta(days=7)), fmt(now - dt.timedelta(hours=1)), fmt(now)
        base = getattr(self, "populated", 0)
        self.populated = base + n
        hard = {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi",
                "pods": "50", "services": "20", "persistentvolumeclaims": "10",
                "services.loadbalancers": "0", "services.nodeports": "0"}

        def one(i):
            name = f"l-{base + i:05d}"
            ns = f"env-{name}"
            owner, team = f"engineer-{i % 37}", f"team{i % 7}"
            lab = {"app.kubernetes.io/managed-by": "kubenv", "kubenv.dev/environment": name}
            self.admin.req("POST", "/api/v1/namespaces?fieldManager=kubenv", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": dict(lab, **{
                    "kubenv.dev/owner": owner, "kubenv.dev/team": team,
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted"}),
                    "annotations": {"kubenv.dev/owner": owner, "kubenv.dev/team": team,
                                    "kubenv.dev/template": "standard",
                                    "kubenv.dev/expires-at": exp_past if i < expired else exp_future,
                                    "kubenv.dev/last-activity": last}}}, ok=(201, 409))
            self.admin.req("PATCH", f"/api/v1/namespaces/{ns}/resourcequotas/kubenv-quota?fieldManager=kubenv&force=true", {
                "apiVersion": "v1", "kind": "ResourceQuota",
                "metadata": {"name": "kubenv-quota", "namespace": ns, "labels": lab},
                "spec": {"hard": hard}}, ctype="application/apply-patch+yaml", ok=(200, 201))

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(one, range(n)))

    # ---- gc over 1,000 expired environments -----------------------------------------
    def s_gc(self):
        want = self.reps["gc_envs"]
        if getattr(self, "populated", 0) < want:
            log(f"gc: adding {want} expired environments")
            self.populate(want, expired=want)
            self.wait("every quota to be computed", lambda: self.quotas_ready(self.populated), timeout=600, every=3)
        # gc runs as the in-cluster gc does: a ServiceAccount with ClusterRole kubenv:gc
        # (from `kubenv admin init --gc-cronjob-image`), not as an engineer or an admin.
        docs = self.out([self.kubenv, "admin", "init", "--gc-cronjob-image", "bench.invalid/kubenv:0"], env=self.admin_env)
        keep = [d for d in docs.split("\n---") if re.search(r"^kind: (ClusterRole|ClusterRoleBinding|ServiceAccount)$", d, re.M)]
        f = os.path.join(self.a.work, "gc-rbac.yaml")
        with open(f, "w") as fh:
            fh.write("\n---".join(keep))
        self.kctl("apply", "-f", f)
        sa = re.search(r"^kind: ServiceAccount$.*?^  name: (\S+)$.*?^  namespace: (\S+)$", "\n---".join(keep), re.M | re.S)
        sa_name, sa_ns = sa.group(1), sa.group(2)
        token = self.kctl("create", "token", sa_name, "-n", sa_ns, "--duration=2h").strip()
        kc = os.path.join(self.a.work, "gc.kubeconfig")
        with open(self.admin_kc) as s_, open(kc, "w") as d_:
            d_.write(re.sub(r"token: \S+", f"token: {token}", s_.read()))
        os.chmod(kc, 0o600)
        env = dict(self.env, KUBECONFIG=kc)
        total = len(self.managed())
        log(f"gc over {total} environments, {want} of them expired (one run)")
        self.quiesce(timeout=60)
        r = self.run([self.kubenv, "gc", "-o", "json"], env=env, capture=True)
        out = json.loads(r.out)
        items = out if isinstance(out, list) else out.get("items", out.get("actions", []))
        done = sum(1 for x in items if x.get("done"))
        self.gc = dict(secs=r.secs, rss_kb=r.rss_kb, pid=r.pid, envs=total, expired=want, done=done,
                       actions=len(items))
        self.pid_times[r.pid] = (r.t0, r.t1)
        self.req_kubenv["gc"] = [r.pid]
        if done != want:
            self.notes.append(f"gc acted on {done} environments, {want} were expired")

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

        # The API server rotates its audit log at 100 MB (lumberjack's default): read the
        # rotated files (audit-<time>.log, oldest first) and then the current one.
        d = os.path.dirname(self.audit_path)
        files = sorted(os.path.join(d, x) for x in os.listdir(d) if x.startswith("audit-") and x.endswith(".log"))

        def lines():
            for path in files + [self.audit_path]:
                with open(path, errors="replace") as f:
                    yield from f

        if True:
            for line in lines():
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
            if label == "gc" and self.gc is not None:
                self.gc["requests"] = len(by_pid.get(pids[0], []))
                self.gc["peak_inflight"] = peak_inflight(by_pid.get(pids[0], []))
            # The request timeline of the median-time run, for the commands worth reading in detail.
            if label in ("create", "delete", "list -A") and any(p in self.pid_times for p in pids):
                timed = [p for p in pids if p in self.pid_times and by_pid.get(p)]
                if not timed:
                    continue
                mid = sorted(timed, key=lambda p: self.pid_times[p][1] - self.pid_times[p][0])[len(timed) // 2]
                t0, t1 = self.pid_times[mid]
                self.timelines[label] = (t1 - t0, [(a - t0, b - t0, w) for a, b, w in sorted(by_pid[mid])])
        return rows


def details(b):
    """Lines under the table: the first-kubectl breakdown, memory growth, gc."""
    out = []
    P = b.parts
    if P.get("k_create"):
        m = lambda k: fmt_s(pct(P[k], 50))
        out.append(f"create + first kubectl, medians of the parts: kubenv create {m('k_create')} + kubectl get "
                   f"configmaps {m('k_get')} (runs the `kubenv token` exec plugin, which mints the first token); "
                   f"baseline script {m('b_script')} + kubectl get configmaps {m('b_get')} (token already embedded)")
    big = b.reps["list_big_envs"]
    for lab in ("list -A", "list -A -o json"):
        lo, hi = b.rss.get(lab), b.rss.get(f"{lab} ({big})")
        blo, bhi = b.rss.get("baseline " + lab), b.rss.get(f"baseline {lab} ({big})")
        if lo and hi:
            s = (f"max RSS of `kubenv {lab}`: {max(lo) / 1024:.1f} MB at {getattr(b, 'list_count', LIST_ENVS):,} "
                 f"environments, {max(hi) / 1024:.1f} MB at {getattr(b, 'list_big_count', big):,}")
            if blo and bhi:
                s += (f"; kubectl's ({'-o json' if 'json' in lab else 'table'}): {max(blo) / 1024:.1f} MB and "
                      f"{max(bhi) / 1024:.1f} MB")
            out.append(s)
    if b.gc:
        g = b.gc
        out.append(f"gc: {g['envs']:,} environments listed, {g['actions']:,} acted on ({g['done']:,} deleted), "
                   f"{fmt_s(g['secs'])}, {g.get('requests', '?')} API requests, at most "
                   f"{g.get('peak_inflight', '?')} in flight at once (environments handled {GC_CONCURRENCY} at a "
                   f"time, each with at most {GC_REQS_PER_ENV} requests in flight: its two audit events), max RSS {g['rss_kb'] / 1024:.1f} MB")
    return out


def peak_inflight(events):
    """The most requests in flight at once: (received, completed) intervals, swept."""
    edges = sorted([(a, 1) for a, _, _ in events] + [(b, -1) for _, b, _ in events])
    peak = cur = 0
    for _, d in edges:
        cur += d
        peak = max(peak, cur)
    return peak


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
    ap.add_argument("--versions", default="", help="the control plane's versions, for the report")
    ap.add_argument("--spawn-rss", default="", help="scripts/bench/spawn-rss.c, built (for honest max RSS)")
    ap.add_argument("--only", default="", help="comma-separated phases (for working on the bench)")
    a = ap.parse_args()
    started = time.time()
    b = Bench(a)
    phases = [b.s_version, b.s_create, b.s_first, b.s_delete, b.s_token, b.s_parallel, b.s_sleep,
              b.s_list, b.s_list_big, b.s_gc]
    if a.only:
        keep = set(a.only.split(","))
        phases = [p for p in phases if p.__name__[2:] in keep]
    b.phase_times = []
    for ph in phases:
        t = time.time()
        ph()
        b.phase_times.append((ph.__name__[2:], time.time() - t))
        log(f"  ({time.time() - t:.0f}s)")
    try:
        with open(os.path.join(a.work, "..", "kubenv-bench-results.json"), "w") as f:
            json.dump({"results": b.results, "rss": b.rss, "parts": b.parts, "gc": b.gc,
                       "phases": b.phase_times, "notes": b.notes}, f)
    except OSError:
        pass
    log("reading the audit log")
    try:
        reqs = b.request_counts()
    except Exception as e:  # the timing table matters more than the request counts
        b.notes.append(f"reading the audit log failed: {e!r}")
        reqs = []
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
    rows = []  # (scenario, k_med, k_p90, baseline, b_med, b_p90, ratio, goal, status, runs)

    def ratio_row(title, key, basekey=None, goal=None, base_title=None):
        bk = basekey or key
        if key not in R or bk not in R:
            return
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

    def abs_row(title, key, goal, base_title=None):
        if key not in R:
            return
        desc, kind, thr = GOALS[goal]
        km, kp = med(key, "kubenv"), p90(key, "kubenv")
        bs = R[key]["base"]
        bm = pct(bs, 50) if bs else float("nan")
        bp = pct(bs, 90) if bs else float("nan")
        rows.append((title, fmt_s(km), fmt_s(kp), base_title or "", fmt_s(bm), fmt_s(bp),
                     f"{km / bm:.2f}" if bs else "", f"≤ {thr:g} ms",
                     "met" if km * 1000 <= thr else "MISSED",
                     f"{len(R[key]['kubenv'])}/{len(bs)}"))

    def rss_row(title, label, goal):
        if label not in b.rss:
            return
        desc, kind, thr = GOALS[goal]
        v = max(b.rss[label]) / 1024
        base = b.rss.get("baseline " + label)
        rows.append((title, f"{v:.1f} MB", "", "kubectl" if base else "",
                     f"{max(base) / 1024:.1f} MB" if base else "", "",
                     f"{v / (max(base) / 1024):.2f}" if base else "", f"≤ {thr:g} MB",
                     "met" if v <= thr else "MISSED", ""))

    lc = getattr(b, "list_count", LIST_ENVS)
    bc = getattr(b, "list_big_count", b.reps["list_big_envs"])
    ratio_row("create one environment", "create", goal="create",
              base_title="apply + create token + set-context")
    ratio_row("create, then first kubectl command in it", "first", goal="first",
              base_title="same script, then the same kubectl call")
    ratio_row(f"{PAR_ENVS} environments, {PAR_WORKERS} workers", "parallel", goal="parallel",
              base_title="same script, 10 workers")
    ratio_row(f"list -A ({lc:,} envs)", "list", goal="list", base_title="kubectl get ns -l")
    ratio_row(f"list -A -o json ({lc:,} envs)", "list_json", goal="list_json", base_title="kubectl get ns -l -o json")
    ratio_row(f"list -A ({bc:,} envs)", "list_big", goal="list_big", base_title="kubectl get ns -l")
    ratio_row(f"list -A -o json ({bc:,} envs)", "list_big_json", goal="list_big_json",
              base_title="kubectl get ns -l -o json")
    ratio_row("sleep (60 workloads)", "sleep_kubenv", "sleep_loop", base_title=f"kubectl scale, xargs -P {SCALE_PARALLEL}")
    ratio_row("wake (60 workloads)", "wake_kubenv", "wake_loop", base_title=f"kubectl scale, xargs -P {SCALE_PARALLEL}")
    ratio_row("sleep + wake vs per-workload", "sleepwake_loop", goal="sleepwake_loop",
              base_title=f"kubectl scale, xargs -P {SCALE_PARALLEL}")
    ratio_row("sleep + wake vs --all", "sleepwake_all", goal="sleepwake_all", base_title="kubectl scale --all")
    abs_row("token (cached)", "token", "token", base_title="ref: kubectl create token")
    ratio_row("delete one environment", "delete", base_title="kubectl delete ns --wait=false")
    rss_row(f"list -A max RSS ({lc:,} envs)", "list -A", "list_rss")
    rss_row(f"list -A -o json max RSS ({lc:,} envs)", "list -A -o json", "list_rss")
    rss_row(f"list -A max RSS ({bc:,} envs)", f"list -A ({b.reps['list_big_envs']})", "list_big_rss")
    rss_row(f"list -A -o json max RSS ({bc:,} envs)", f"list -A -o json ({b.reps['list_big_envs']})", "list_big_rss")
    if b.gc:
        g = b.gc
        pk = g.get("peak_inflight", float("nan"))
        rows.append((f"gc over {g['envs']:,} envs, {g['expired']:,} expired", fmt_s(g["secs"]), "",
                     "peak requests in flight", f"{pk:g}", "", "", f"in flight ≤ {GC_CONCURRENCY * GC_REQS_PER_ENV}",
                     "met" if pk <= GC_CONCURRENCY * GC_REQS_PER_ENV else "MISSED", "1/–"))
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
    extra = details(b)
    print()
    for x in extra:
        print(x)
    spawn = pct(R["spawn"]["kubenv"], 50) if "spawn" in R else float("nan")
    print(f"\nharness spawn+wait overhead (/bin/true): median {fmt_s(spawn)}; total bench time {elapsed:.0f}s "
          f"({', '.join(f'{n} {t:.0f}s' for n, t in b.phase_times)})")
    for n in b.notes:
        print(f"note: {n}")

    if not a.out:
        return
    md = []
    md.append("# Benchmarks\n")
    md.append("kubenv against what a platform team writes without it (plain `kubectl` scripts), measured "
              "in the same run, on the same local control plane, one command after the other.\n")
    md.append("Re-run with `scripts/bench.sh` (about 15 minutes on 2 cores, plus the release build) or "
              "`scripts/bench.sh --quick` (about 6 minutes: fewer repetitions, 2,000 environments for the "
              "scale rows, 200 for gc). It builds `target/release/kubenv`, starts its own cluster with "
              "`scripts/controlplane.sh` in a fresh temporary folder — Kubernetes v1.36 (kube-apiserver, "
              "kube-controller-manager, kube-scheduler) and etcd 3.6 built from upstream Go modules, etcd "
              "syncing every write to disk as in production (`KUBENV_CP_ETCD_FSYNC=1`), the API server's "
              "default in-flight limits and API Priority and Fairness, and kwok simulated nodes, so pods are "
              "scheduled and reach Running (no container really runs) — installs kubenv's policy and roles "
              "with `kubenv admin init --engineers-group kubenv:engineers`, and then runs kubenv and the "
              "baseline as the same engineer (token user `alice` in group `kubenv:engineers`, bound to "
              "ClusterRole `kubenv:engineer` and nothing else). It uses a private `HOME`, `KUBECONFIG` and "
              "`KUBENV_CACHE_DIR`, stops everything on exit and rewrites this file.\n")
    md.append("## Results\n")
    md.append(f"- Run: {'quick' if a.quick else 'full'}, {m['date']}, commit `{m['commit']}` ({m['subject']})")
    md.append(f"- Machine: {m['nproc']} CPUs (`nproc`), {m['mem']} memory, {m['cpu']}, Linux {m['kernel']}; "
              f"load average {b.load_start} at the start, {m['load']} at the end (shared machine: expect noise)")
    md.append(f"- Cluster: {a.versions or 'see scripts/controlplane.sh'}; etcd syncing to disk; API server "
              f"default in-flight limits (400 read-only, 200 mutating) with API Priority and Fairness")
    md.append(f"- Identity: kubenv and baseline both as `{b.me}` (group `kubenv:engineers`, ClusterRole "
              f"`kubenv:engineer`); fixtures as cluster-admin, never timed; gc as ServiceAccount with "
              f"ClusterRole `kubenv:gc`, as the in-cluster CronJob runs it")
    md.append(f"- kubenv built with {m['rustc']}, `cargo build --release`; baseline client "
              f"`{a.kubectl}` ({b.kctl_version()}); whole bench {elapsed / 60:.1f} min "
              f"({', '.join(f'{n} {t:.0f}s' for n, t in b.phase_times)})\n")
    md.append("| scenario | kubenv median | kubenv p90 | baseline | baseline median | baseline p90 | kubenv/baseline | goal | |")
    md.append("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        md.append("| " + " | ".join(str(c) for c in r[:9]) + " |")
    md.append("")
    md.append(f"Runs per row (kubenv/baseline): " + "; ".join(f"{r[0]} {r[9]}" for r in rows if r[9]) + ".")
    md.append(f"Times are wall-clock from spawn to exit of the child process, as seen by the harness; "
              f"spawning `/bin/true` the same way takes {fmt_s(spawn)} (median), included in every number. "
              f"\"ref:\" rows are context, not a like-for-like baseline.\n")
    for x in extra:
        md.append(f"- {x}")
    md.append("")
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
    md.append("Each command runs as the child of a tiny helper (`scripts/bench/spawn-rss.c`), whose `wait4` "
              "reports the command's own peak: started straight from the harness, every command would "
              "report the harness's peak, because Linux keeps a process's peak RSS across `exec` (earlier "
              "versions of this page measured that by mistake). For the baseline scripts this is the largest "
              "kubectl process they ran (`wait4` reports the peak of the child and the children it waited "
              "for).\n")
    md.append("| command | max RSS (largest run) |")
    md.append("| --- | ---: |")
    big = b.reps["list_big_envs"]
    for label in ("list -A", "list -A -o json", "baseline list -A", "baseline list -A -o json",
                  f"list -A ({big})", f"list -A -o json ({big})", f"baseline list -A ({big})",
                  f"baseline list -A -o json ({big})",
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
| 1 | `kubenv create NAME --no-switch` (namespace, quota, limits, network policy, ServiceAccount, tenant and owner RoleBindings; writes a context whose user is the `kubenv token` exec plugin) | `baseline-create.sh NAME`: one `kubectl apply -f -` of a multi-document YAML with the same objects, labels, annotations and quota values; `kubectl create token tenant --duration=1h`; `kubectl config set-credentials` + `set-context` |
| 2 | `kubenv create NAME --no-switch`, then `kubectl --context kubenv-NAME get configmaps` (kubectl runs the exec plugin, which mints the environment's first token) | `baseline-create.sh NAME`, then `kubectl --context env-NAME get configmaps` |
| 3 | 100 × `kubenv create` by 10 parallel workers, 10 each, each worker with its own copy of the engineer's kubeconfig | the same with `baseline-create.sh` |
| 4 | `kubenv list -A` and `kubenv list -A -o json` with 1,000 and with 10,000 environments | `kubectl get namespaces -l app.kubernetes.io/managed-by=kubenv` (and `-o json`); kubectl reads in pages of 500 (its default `--chunk-size`), and so does kubenv |
| 5 | `kubenv sleep NAME`, then `kubenv wake NAME`, environment with 50 Deployments + 10 StatefulSets (1 replica each, pods Running on kwok nodes) | `baseline-scale-loop.sh`: `kubectl get deploy,sts -o name`, then one `kubectl scale --replicas=0` (wake: `=1`) per workload, 10 at a time with `xargs -P 10`; and `baseline-scale-all.sh`: `kubectl scale deploy,sts --all --replicas=0` (wake: `=1`) |
| 6 | `kubenv token NAME --context CTX --namespace NS` with a fresh cached token | none (kubectl has no credential cache); `kubectl create token` shown for reference |
| 7 | `kubenv delete NAME --yes` (no `--wait`) | `kubectl delete namespace NS --wait=false` |
| 8 | max RSS of `kubenv list -A` at 1,000 and 10,000 environments; `kubenv --version` start-up | kubectl's max RSS for the same lists; `kubectl version --client` for reference |
| 9 | `kubenv gc` over every environment (10,000), 1,000 of them expired, as ServiceAccount with ClusterRole `kubenv:gc` | none; the row reports its time and the most API requests it had in flight at once (from the audit log: each request from received to completed) |

How the numbers are taken:

- Both sides act as the same engineer (`alice`, group `kubenv:engineers`, ClusterRole
  `kubenv:engineer` from `kubenv admin init --engineers-group`), so both go through API
  Priority and Fairness as engineers would; system:masters, which it exempts, only sets up
  fixtures. The engineer role has no `serviceaccounts/token`: kubenv mints tokens through the
  owner's `kubenv-owner-token` RoleBinding it creates in the environment, and the baseline
  script applies the same RoleBinding (and the same `kubenv-owner` admin binding) so it can too.
- etcd syncs every write to disk (`KUBENV_CP_ETCD_FSYNC=1`), as in production; the API server
  keeps its default in-flight limits (`--max-requests-inflight 400`,
  `--max-mutating-requests-inflight 200`).
- The baseline kubectl is of the cluster's Kubernetes release, built from the same Go modules
  (`scripts/bench/kubectl`), so neither side pays for version skew.
- Every scenario runs one discarded warm-up of each side (warm page cache, warm kubectl
  discovery cache, as on a workstation), then alternates kubenv and baseline run by run, the
  same number of runs each. The sleep/wake rounds alternate kubenv, the per-workload script
  and `scale --all`.
- Between sleep/wake runs the harness waits, untimed, until the controllers have finished
  (all 60 pods Running, or none left), so every run starts from the same state; the fixture
  raises the environment's quota to 200 pods so all 60 fit.
- Where kubectl's own client-side rate limit is measured: one kubectl process throttles itself
  to 5 requests/s after a burst of 10, so `kubectl scale --all` over 60 workloads mostly
  measures that. The per-workload script runs one kubectl per workload (`xargs -P 10`) and is
  not throttled; it pays a kubectl start-up per workload instead.
- The environments for `list` and `gc` are the ones the earlier scenarios left plus generated
  ones, written straight through the API with the labels and annotations kubenv writes (a
  namespace created with field manager `kubenv` and the `kubenv-quota` ResourceQuota it
  server-side applies); the harness waits until every quota's usage has been computed and no
  namespace is Terminating before it measures.
- What the baseline does not do and kubenv does: read the platform policy, identify the caller,
  record expiry/owner from the policy, refuse unmanaged or foreign namespaces, take a per-
  environment lock, block new pods while asleep and record each workload's replica count
  (the baseline wakes everything to 1), remove the context and cached token on delete, and
  write a context that never goes stale (the baseline's token expires in an hour).
"""


if __name__ == "__main__":
    main()
