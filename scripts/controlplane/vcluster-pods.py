#!/usr/bin/env python3
"""The kubelet of the test cluster for the pods of virtual clusters (loft-sh/vcluster).

kwok plays the kubelet of the simulated nodes: it marks pods Running but runs nothing. This
runner watches the pods labelled app=vcluster that a StatefulSet owns and that are bound to a
simulated node (annotation kwok.x-k8s.io/node=fake), and runs the real vcluster syncer for each,
as the pod's container would:

  * in a private mount namespace, with the paths the image has: /data (the pod's volume "data":
    the hostPath of its PersistentVolume, or a fresh dir for an emptyDir), /binaries (the test
    cluster's kube-apiserver and kube-controller-manager), /var/lib/vcluster/config.yaml (from
    Secret vc-config-NAME), /pki, and /etcd-tls (the TLS files for the etcd below);
  * in a private network namespace (the syncer's ports 8443, 6443, 10257 and etcd's 2379 are
    fixed, so every vcluster gets its own 127.0.0.1); the runner carries the pod's connections
    to the host API server (127.0.0.1:<api port> inside = the same address outside) and the
    connections to the pod's port 8443 (a host 127.0.0.1 port, which a kwok PortForward object
    names, so that `kubectl port-forward pod/NAME-0 LOCAL:8443` reaches the syncer);
  * with the env the chart sets (VCLUSTER_NAME, POD_NAME, POD_IP, NODE_NAME, NODE_IP) plus
    NAMESPACE, and KUBECONFIG: the host API with a token of the pod's ServiceAccount from the
    TokenRequest API, bound to the pod (the rights of the vcluster's Role, as in a real pod);
  * with an etcd (the cached etcd binary, TLS) on 127.0.0.1:2379 of the pod's network namespace,
    for a vcluster config with an "external etcd" there; its data dir belongs to the vcluster
    (the StatefulSet), so it survives pause/resume and goes away with the StatefulSet.

It also plays the test cluster's volume provisioner for those pods' claims (hostPath
PersistentVolumes in the state dir, bound in advance; deleted once released), and removes a
vcluster's etcd data once its StatefulSet is gone.

The syncer is restarted with a back-off when it exits while its pod exists (restartPolicy
Always); it is stopped (SIGTERM to its process group, SIGKILL after the grace period, then any
process left in its network namespace) when the pod is deleted or leaves its node.

The vcluster config decides the backing store, as in a real pod: the default embedded database
runs kine (KINE_BIN, mounted over /usr/local/bin as in the image) on SQLite in /data; an external
etcd at 127.0.0.1:2379 is the etcd above.

Usage: vcluster-pods.py STATE_DIR K8S_BIN ETCD_BIN VCLUSTER_BIN [KINE_BIN]   (runs until SIGTERM)
"""
import base64
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)
HOST_NETNS = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
MOUNTPOINTS = ("/data", "/binaries", "/pki", "/var/lib/vcluster", "/etcd-tls")
GRACE = float(os.environ.get("KUBENV_VC_GRACE", "10"))


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


def setns(fd):
    if LIBC.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def socket_in(netns_fd):
    """A TCP socket created in the given network namespace (the calling thread goes back)."""
    setns(netns_fd)
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        setns(HOST_NETNS)


def pipe(a, b):
    def one(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=one, args=(b, a), daemon=True)
    t.start()
    one(a, b)
    t.join()
    a.close()
    b.close()


class Api:
    def __init__(self, state):
        token = server = None
        with open(os.path.join(state, "admin.kubeconfig")) as f:
            for line in f:
                line = line.strip()
                if line.startswith("token:"):
                    token = line.split(":", 1)[1].strip()
                elif line.startswith("server:"):
                    server = line.split(":", 1)[1].strip()
        u = urllib.parse.urlparse(server)
        self.server, self.host, self.port, self.token = server, u.hostname, u.port, token
        self.ca = os.path.join(state, "ca.crt")
        self.ctx = ssl.create_default_context(cafile=self.ca)

    def conn(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def req(self, method, path, body=None, ctype="application/json"):
        c = self.conn()
        try:
            headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = ctype
                body = json.dumps(body)
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, (json.loads(data) if data else {})
        finally:
            c.close()

    def watch(self, path):
        c = self.conn(timeout=None)
        c.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        r = c.getresponse()
        if r.status != 200:
            c.close()
            raise RuntimeError(f"watch {path}: HTTP {r.status}")
        try:
            while True:
                line = r.readline()
                if not line:
                    return
                yield json.loads(line)
        finally:
            c.close()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def etcd_tls(d):
    """A CA, a serving cert for 127.0.0.1 and a client cert for the vcluster's etcd."""
    if os.path.exists(os.path.join(d, "client.crt")):
        return
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "3650", "-subj", "/CN=vcluster-etcd-ca",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        openssl("req", *ec, "-subj", f"/CN=etcd-{name}", "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(ext)
        openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
                "-CAcreateserial", "-days", "3650", "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.crt")


INIT = r"""set -eu
ip link set lo up
: >"$RUN/lo-up"
mount --bind "$DATA" /data
mount --bind "$K8S_BIN" /binaries
mount -o remount,bind,ro /binaries
mount --bind "$RUN/pki" /pki
mount --bind "$RUN/config" /var/lib/vcluster
mount --bind "$VCDIR/etcd-tls" /etcd-tls
if [ -n "$KINE_BIN" ]; then mount --bind "$KINE_BIN" /usr/local/bin; fi
while [ ! -e "$RUN/net-ready" ]; do sleep 0.05; done
[ -z "$START_ETCD" ] || "$ETCD_BIN/etcd" --name vcluster --data-dir "$VCDIR/etcd" \
  --listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster vcluster=http://127.0.0.1:2380 \
  --cert-file /etcd-tls/server.crt --key-file /etcd-tls/server.key \
  --trusted-ca-file /etcd-tls/ca.crt --client-cert-auth \
  --unsafe-no-fsync --log-level warn >"$RUN/etcd.log" 2>&1 &
cd /
exec "$VCLUSTER_BIN/vcluster" start
"""


class PodRun:
    """One pod of a vcluster StatefulSet: its syncer, restarted until the pod goes away."""

    def __init__(self, runner, pod):
        m = pod["metadata"]
        self.r, self.ns, self.name, self.uid = runner, m["namespace"], m["name"], m["uid"]
        self.release = m["labels"].get("release", "")
        owner = next(o for o in m.get("ownerReferences", []) if o.get("kind") == "StatefulSet")
        self.sts, self.sts_uid = owner["name"], owner["uid"]
        self.sa = pod["spec"].get("serviceAccountName") or "default"
        self.node = pod["spec"]["nodeName"]
        self.pod = pod
        self.vcdir = os.path.join(runner.state, "vclusters", self.ns, self.sts)
        self.run = os.path.join(self.vcdir, "runs", f"{self.name}-{self.uid[:8]}")
        self.stopping = threading.Event()
        self.proc = None
        self.netns = None
        self.lock = threading.Lock()
        self.fwd_port = None
        self.thread = threading.Thread(target=self.supervise, daemon=True)
        self.thread.start()

    # --- the pod's port 8443, reached from the host (kwok PortForward target) ---
    def serve_8443(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(64)
        self.fwd_port = ls.getsockname()[1]
        self.fwd_listener = ls

        def accept():
            while not self.stopping.is_set():
                try:
                    c, _ = ls.accept()
                except OSError:
                    return
                with self.lock:
                    netns = self.netns
                if netns is None:
                    c.close()
                    continue
                try:
                    s = socket_in(netns)
                    s.connect(("127.0.0.1", 8443))
                except OSError:
                    c.close()
                    continue
                threading.Thread(target=pipe, args=(c, s), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()

    # --- the host API server, reached from inside the pod (same address) ---
    def serve_api(self, netns):
        s = socket_in(netns)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.r.api.port))
        s.listen(64)

        def accept():
            while True:
                try:
                    c, _ = s.accept()
                except OSError:
                    return
                try:
                    h = socket.create_connection(("127.0.0.1", self.r.api.port))
                except OSError:
                    c.close()
                    continue
                threading.Thread(target=pipe, args=(c, h), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return s

    def portforward_object(self):
        api = self.r.api
        body = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "PortForward",
                "metadata": {"name": self.name, "namespace": self.ns,
                             "labels": {"app.kubernetes.io/managed-by": "kubenv-test-cluster"},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": self.name,
                                                  "uid": self.uid}]},
                "spec": {"forwards": [{"ports": [8443], "target": {"address": "127.0.0.1", "port": self.fwd_port}}]}}
        path = f"/apis/kwok.x-k8s.io/v1alpha1/namespaces/{self.ns}/portforwards"
        st, out = api.req("POST", path, body)
        if st == 409:
            api.req("DELETE", f"{path}/{self.name}")
            st, out = api.req("POST", path, body)
        if st >= 300:
            log(f"{self.ns}/{self.name}: PortForward: HTTP {st} {out.get('message', '')}")

    def prepare(self):
        api = self.r.api
        st, sec = api.req("GET", f"/api/v1/namespaces/{self.ns}/secrets/vc-config-{self.release}")
        if st != 200:
            raise RuntimeError(f"Secret vc-config-{self.release}: HTTP {st} {sec.get('message', '')}")
        st, tok = api.req("POST", f"/api/v1/namespaces/{self.ns}/serviceaccounts/{self.sa}/token", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": 86400,
                     "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": self.name, "uid": self.uid}}})
        if st != 201:
            raise RuntimeError(f"TokenRequest for ServiceAccount {self.sa}: HTTP {st} {tok.get('message', '')}")
        for p in ("pki", "config", "home"):
            os.makedirs(os.path.join(self.run, p), exist_ok=True)
        self.data = self.data_dir()
        config = base64.b64decode(sec["data"]["config.yaml"])
        with open(os.path.join(self.run, "config", "config.yaml"), "wb") as f:
            f.write(config)
        # the etcd only for a config that names it
        self.start_etcd = b"127.0.0.1:2379" in config or b"localhost:2379" in config
        kc = os.path.join(self.run, "host.kubeconfig")
        with open(kc, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: host
  cluster:
    server: {api.server}
    certificate-authority: {api.ca}
users:
- name: system:serviceaccount:{self.ns}:{self.sa}
  user:
    token: {tok["status"]["token"]}
contexts:
- name: host
  context: {{cluster: host, user: "system:serviceaccount:{self.ns}:{self.sa}", namespace: {self.ns}}}
current-context: host
""")
        os.chmod(kc, 0o600)
        # The etcd belongs to the StatefulSet: a new one of the same name starts empty.
        uid_file = os.path.join(self.vcdir, "statefulset-uid")
        if os.path.exists(uid_file) and open(uid_file).read() != self.sts_uid:
            shutil.rmtree(os.path.join(self.vcdir, "etcd"), ignore_errors=True)
        with open(uid_file, "w") as f:
            f.write(self.sts_uid)
        etcd_tls(os.path.join(self.vcdir, "etcd-tls"))
        # the pod's IPs, once kwok has set them
        for _ in range(100):
            st, pod = api.req("GET", f"/api/v1/namespaces/{self.ns}/pods/{self.name}")
            if st == 200 and pod.get("status", {}).get("podIP"):
                self.pod = pod
                break
            time.sleep(0.1)

    def data_dir(self):
        """The pod's volume "data" (mounted at /data): its PersistentVolume's hostPath, or an emptyDir."""
        vol = next((v for v in self.pod["spec"].get("volumes", []) if v.get("name") == "data"), None)
        claim = (vol or {}).get("persistentVolumeClaim", {}).get("claimName")
        if claim:
            st, pvc = self.r.api.req("GET", f"/api/v1/namespaces/{self.ns}/persistentvolumeclaims/{claim}")
            pv = pvc.get("spec", {}).get("volumeName") if st == 200 else None
            if not pv:
                raise RuntimeError(f"PersistentVolumeClaim {claim} is not bound")
            st, pv = self.r.api.req("GET", f"/api/v1/persistentvolumes/{pv}")
            path = pv.get("spec", {}).get("hostPath", {}).get("path") if st == 200 else None
            if not path:
                raise RuntimeError(f"PersistentVolume of claim {claim} has no hostPath")
            os.makedirs(path, exist_ok=True)
            return path
        d = os.path.join(self.run, "data")  # emptyDir: fresh for every start of the container
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def start_once(self):
        for f in ("lo-up", "net-ready"):
            if os.path.exists(os.path.join(self.run, f)):
                os.unlink(os.path.join(self.run, f))
        self.prepare()
        status = self.pod.get("status", {})
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": os.path.join(self.run, "home"),
               "VCLUSTER_NAME": self.release, "POD_NAME": self.name, "NAMESPACE": self.ns,
               "POD_IP": status.get("podIP", ""), "NODE_NAME": self.node, "NODE_IP": status.get("hostIP", ""),
               "KUBECONFIG": os.path.join(self.run, "host.kubeconfig"),
               "RUN": self.run, "VCDIR": self.vcdir, "DATA": self.data, "K8S_BIN": self.r.k8s_bin, "ETCD_BIN": self.r.etcd_bin,
               "VCLUSTER_BIN": self.r.vcluster_bin, "KINE_BIN": self.r.kine_bin,
               "START_ETCD": "1" if self.start_etcd else ""}
        out = open(os.path.join(self.run, "syncer.log"), "ab")
        proc = subprocess.Popen(["unshare", "--mount", "--net", "--propagation", "private", "--",
                                 "sh", "-c", INIT], env=env, stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        with open(os.path.join(self.run, "pgid"), "w") as f:
            f.write(str(proc.pid))
        lo_up = os.path.join(self.run, "lo-up")
        while not os.path.exists(lo_up):
            if proc.poll() is not None:
                raise RuntimeError(f"pod namespaces: exited with {proc.returncode}, see {self.run}/syncer.log")
            time.sleep(0.02)
        netns = os.open(f"/proc/{proc.pid}/ns/net", os.O_RDONLY)
        api_listener = self.serve_api(netns)
        with self.lock:
            self.proc, self.netns, self.api_listener = proc, netns, api_listener
        open(os.path.join(self.run, "net-ready"), "w").close()
        return proc

    def kill(self, grace):
        with self.lock:
            proc, netns = self.proc, self.netns
            self.proc = None
        if proc is None:
            return
        ino = os.fstat(netns).st_ino if netns is not None else None
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + grace
        while time.time() < deadline and group_alive(proc.pid):
            proc.poll()
            time.sleep(0.1)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        # anything that left the process group but lives in the pod's network namespace
        if ino is not None:
            for pid in pids_in_netns(ino):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        with self.lock:
            try:
                self.api_listener.close()
            except OSError:
                pass
            if self.netns is not None:
                os.close(self.netns)
            self.netns = None

    def supervise(self):
        key = f"{self.ns}/{self.name}"
        backoff = 1.0
        try:
            self.serve_8443()
        except OSError as e:
            log(f"{key}: port 8443 listener: {e}")
        first = True
        while not self.stopping.is_set():
            t0 = time.time()
            try:
                proc = self.start_once()
            except Exception as e:  # noqa: BLE001 - reported, retried like a failing container
                log(f"{key}: start failed: {e}")
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            log(f"{key}: syncer started (pid {proc.pid}, pod port 8443 at 127.0.0.1:{self.fwd_port}, logs {self.run})")
            if first:
                self.portforward_object()
                first = False
            while not self.stopping.is_set() and proc.poll() is None:
                self.stopping.wait(0.2)
            if self.stopping.is_set():
                break
            log(f"{key}: syncer exited with {proc.returncode}; restarting in {backoff:.0f}s")
            self.kill(0)
            if time.time() - t0 > 60:
                backoff = 1.0
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 30)

    def stop(self, grace=GRACE):
        self.stopping.set()
        try:
            self.fwd_listener.close()
        except (OSError, AttributeError):
            pass
        self.thread.join()
        self.kill(grace)
        log(f"{self.ns}/{self.name}: syncer stopped")


def group_alive(pgid):
    """Whether a process of the group still runs (zombies, which init reaps later, do not count)."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == pgid and stat[0] != "Z":
                return True
    return False


def pids_in_netns(ino):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}/ns/net").st_ino == ino:
                    out.append(int(d))
            except OSError:
                pass
    return out


class Runner:
    def __init__(self, state, k8s_bin, etcd_bin, vcluster_bin, kine_bin=""):
        self.state, self.k8s_bin, self.etcd_bin, self.vcluster_bin = state, k8s_bin, etcd_bin, vcluster_bin
        self.kine_bin = kine_bin
        self.api = Api(state)
        self.runs = {}
        self.fake_nodes = {}
        self.provisioned = set()
        self.lock = threading.Lock()

    def is_fake_node(self, name):
        if name not in self.fake_nodes:
            st, node = self.api.req("GET", f"/api/v1/nodes/{urllib.parse.quote(name)}")
            if st != 200:
                return False
            self.fake_nodes[name] = node["metadata"].get("annotations", {}).get("kwok.x-k8s.io/node") == "fake"
        return self.fake_nodes[name]

    def wanted(self, pod):
        m, spec = pod["metadata"], pod.get("spec", {})
        return (not m.get("deletionTimestamp") and spec.get("nodeName")
                and m.get("labels", {}).get("release")
                and any(o.get("kind") == "StatefulSet" for o in m.get("ownerReferences", []))
                and pod.get("status", {}).get("phase") not in ("Succeeded", "Failed")
                and self.is_fake_node(spec["nodeName"]))

    def provision(self, pod):
        """The test cluster's volume provisioner for the vcluster pods' claims (no StorageClass
        there): a hostPath PersistentVolume in the state dir, bound to the claim in advance."""
        m = pod["metadata"]
        for v in pod["spec"].get("volumes", []):
            claim = v.get("persistentVolumeClaim", {}).get("claimName")
            if not claim:
                continue
            st, pvc = self.api.req("GET", f"/api/v1/namespaces/{m['namespace']}/persistentvolumeclaims/{claim}")
            if st != 200 or pvc["spec"].get("volumeName") or pvc["metadata"]["uid"] in self.provisioned:
                continue
            uid = pvc["metadata"]["uid"]
            name = f"kubenv-{uid}"
            body = {"apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "kubenv-test-cluster"}},
                    "spec": {"capacity": {"storage": pvc["spec"]["resources"]["requests"]["storage"]},
                             "accessModes": pvc["spec"].get("accessModes") or ["ReadWriteOnce"],
                             "persistentVolumeReclaimPolicy": "Retain",
                             "storageClassName": pvc["spec"].get("storageClassName") or "",
                             "hostPath": {"path": os.path.join(self.state, "volumes", name), "type": "DirectoryOrCreate"},
                             "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                          "namespace": m["namespace"], "name": claim, "uid": uid}}}
            st, out = self.api.req("POST", "/api/v1/persistentvolumes", body)
            if st in (201, 409):
                self.provisioned.add(uid)
                log(f"{m['namespace']}/{claim}: provisioned PersistentVolume {name}")
            else:
                log(f"{m['namespace']}/{claim}: PersistentVolume: HTTP {st} {out.get('message', '')}")

    def reconcile(self, pod, deleted=False):
        m = pod["metadata"]
        if not deleted and not pod.get("spec", {}).get("nodeName") and not m.get("deletionTimestamp"):
            self.provision(pod)
        key = f"{m['namespace']}/{m['name']}"
        want = not deleted and self.wanted(pod)
        with self.lock:
            cur = self.runs.get(key)
            if cur is not None and (not want or cur.uid != m["uid"]):
                del self.runs[key]
                threading.Thread(target=self.stopped, args=(cur,), daemon=True).start()
                cur = None
            if want and cur is None:
                log(f"{key}: pod on {pod['spec']['nodeName']}: starting the vcluster syncer")
                self.runs[key] = PodRun(self, pod)

    def stopped(self, run):
        run.stop()
        # keep the logs of the pod's last run
        for f in os.listdir(run.run):
            if not f.endswith(".log"):
                p = os.path.join(run.run, f)
                shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)

    def gc(self):
        """What the cluster would clean up: the etcd of a vcluster whose StatefulSet is gone, and
        the volumes this runner provisioned once their claims are gone (reclaim policy Delete)."""
        while True:
            time.sleep(10)
            try:
                base = os.path.join(self.state, "vclusters")
                for ns in os.listdir(base) if os.path.isdir(base) else []:
                    for sts in os.listdir(os.path.join(base, ns)):
                        d = os.path.join(base, ns, sts)
                        with self.lock:
                            busy = any(r.vcdir == d for r in self.runs.values())
                        if busy:
                            continue
                        st, obj = self.api.req("GET", f"/apis/apps/v1/namespaces/{ns}/statefulsets/{sts}")
                        try:
                            uid = open(os.path.join(d, "statefulset-uid")).read()
                        except OSError:
                            uid = None
                        if st == 404 or (st == 200 and uid and obj["metadata"]["uid"] != uid):
                            shutil.rmtree(d, ignore_errors=True)
                            log(f"{ns}/{sts}: StatefulSet gone: removed the vcluster's etcd data")
                    if not os.listdir(os.path.join(base, ns)):
                        os.rmdir(os.path.join(base, ns))
                st, pvs = self.api.req("GET", "/api/v1/persistentvolumes?labelSelector=" +
                                       urllib.parse.quote("app.kubernetes.io/managed-by=kubenv-test-cluster"))
                for pv in pvs.get("items", []) if st == 200 else []:
                    if pv.get("status", {}).get("phase") in ("Released", "Failed"):
                        name = pv["metadata"]["name"]
                        st, _ = self.api.req("DELETE", f"/api/v1/persistentvolumes/{name}")
                        if st in (200, 202, 404):
                            shutil.rmtree(os.path.join(self.state, "volumes", name), ignore_errors=True)
                            log(f"PersistentVolume {name}: claim gone: deleted")
            except Exception as e:  # noqa: BLE001 - next round
                log(f"gc: {e}")

    def loop(self):
        path = "/api/v1/pods?labelSelector=" + urllib.parse.quote("app=vcluster")
        while True:
            try:
                st, lst = self.api.req("GET", path)
                if st != 200:
                    raise RuntimeError(f"list pods: HTTP {st}")
                seen = set()
                for pod in lst["items"]:
                    seen.add(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
                    self.reconcile(pod)
                with self.lock:
                    gone = [r for k, r in self.runs.items() if k not in seen]
                for r in gone:
                    self.reconcile(r.pod, deleted=True)
                rv = lst["metadata"]["resourceVersion"]
                for ev in self.api.watch(f"{path}&watch=1&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=600"):
                    if ev["type"] == "ERROR":
                        break
                    if ev["type"] == "BOOKMARK":
                        continue
                    self.reconcile(ev["object"], deleted=ev["type"] == "DELETED")
            except Exception as e:  # noqa: BLE001 - the API server restarting; list and watch again
                log(f"watch: {e}")
                time.sleep(1)

    def shutdown(self):
        with self.lock:
            runs = list(self.runs.values())
            self.runs.clear()
        ts = [threading.Thread(target=r.stop, args=(min(GRACE, 3),)) for r in runs]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    for m in MOUNTPOINTS:  # mount points for the pods' private mounts (empty dirs on the host)
        os.makedirs(m, exist_ok=True)
    r = Runner(*[os.path.abspath(a) for a in sys.argv[1:]])

    def term(*_):
        r.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGINT, term)
    log(f"watching pods labelled app=vcluster on {r.api.server}")
    threading.Thread(target=r.loop, daemon=True).start()
    threading.Thread(target=r.gc, daemon=True).start()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
