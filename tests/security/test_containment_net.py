"""Hostile agents against the network and the API key: every route out is closed, and the key the
gateway holds appears nowhere an agent can look."""

from __future__ import annotations

import json
import socket
import textwrap
import uuid
from itertools import pairwise
from pathlib import Path

import pytest

from dgm.agent_run import run_agent

pytestmark = pytest.mark.docker

# Tries every way out it is given and reports each outcome as an errno name ("ok" when it worked).
NET_PROBE = r"""
import errno, json, socket, sys
cfg = json.loads(sys.argv[1])
def attempt(fn):
    try:
        fn()
        return "ok"
    except socket.gaierror as exc:
        return "gaierror: " + str(exc)
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
def tcp(family, addr):
    def go():
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(addr)
    return attempt(go)
def udp(family, addr):
    def go():
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.sendto(b"dgm", addr)
    return attempt(go)
def ping():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP) as s:
        s.sendto(b"\x08\x00\xf7\xff\x00\x00\x00\x00", ("1.1.1.1", 0))
def abstract(name):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        s.connect("\0" + name)
def loopback():
    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client.connect(server.getsockname())
        server.accept()[0].close()
v4, v6 = cfg["ipv4"] + ["1.1.1.1", "8.8.8.8"], cfg["ipv6"] + ["2606:4700:4700::1111"]
report = {
    "tcp4": {f"{h}:{p}": tcp(socket.AF_INET, (h, p)) for h in v4 for p in (cfg["tcp"], 53, 443, 2375)},
    "udp4": {f"{h}:{p}": udp(socket.AF_INET, (h, p)) for h in v4 for p in (cfg["udp"], 53)},
    "tcp6": {f"[{h}]:{p}": tcp(socket.AF_INET6, (h, p)) for h in v6 for p in (cfg["tcp"], 443)},
    "udp6": {f"[{h}]:{p}": udp(socket.AF_INET6, (h, p)) for h in v6 for p in (cfg["udp"], 53)},
    "dns": {name: attempt(lambda n=name: socket.getaddrinfo(n, 443)) for name in
            ("example.com", "pypi.org", "host.docker.internal", "gateway.docker.internal")},
    "raw": {name: attempt(lambda a=args: socket.socket(*a).close()) for name, args in {
        "inet-raw-icmp": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
        "inet-raw-tcp": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP),
        "inet6-raw-icmp": (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
        "packet": (socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))}.items()},
    "ping": attempt(ping),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "abstract": {name: attempt(lambda n=name: abstract(n)) for name in cfg["abstract"]},
    "loopback": attempt(loopback),
}
print("REPORT " + json.dumps(report), flush=True)
"""


def _host_ipv4() -> list[str]:
    """The host's own IPv4 addresses (the kernel's local routes), loopback left out."""
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    found = {prev.split()[-1] for prev, line in pairwise(lines) if "/32 host LOCAL" in line}
    return sorted(a for a in found if not a.startswith("127."))


def _host_ipv6() -> list[str]:
    """The host's global IPv6 addresses (link-local ones need an interface the container lacks)."""
    found = []
    path = Path("/proc/net/if_inet6")
    for line in path.read_text().splitlines() if path.exists() else []:
        raw, _, _, scope, _, name = line.split()
        if name != "lo" and scope == "00":
            found.append(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(raw)))
    return found


def _host_abstract_sockets(limit: int = 100) -> list[str]:
    """Names of the host's listening abstract Unix sockets (containerd's shims used one once)."""
    names = []
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[7].startswith("@") and fields[5] == "01":
            names.append(fields[7][1:])
    return names[:limit]


def _listener(family: int, kind: int, address) -> socket.socket:
    sock = socket.socket(family, kind)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # the IPv4 listener has the port
    sock.bind(address)
    if kind == socket.SOCK_STREAM:
        sock.listen()
    sock.setblocking(False)
    return sock


def test_no_route_out_no_dns_no_raw_sockets_and_no_host_socket_reachable(sandbox):
    tcp = _listener(socket.AF_INET, socket.SOCK_STREAM, ("0.0.0.0", 0))
    port = tcp.getsockname()[1]
    udp = _listener(socket.AF_INET, socket.SOCK_DGRAM, ("0.0.0.0", port))
    host_listeners = [tcp, udp]
    ipv6 = _host_ipv6()
    if ipv6:
        host_listeners += [_listener(socket.AF_INET6, socket.SOCK_STREAM, ("::", port)),
                           _listener(socket.AF_INET6, socket.SOCK_DGRAM, ("::", port))]
    abstract_name = f"dgm-containment-{uuid.uuid4().hex}"
    host_listeners.append(_listener(socket.AF_UNIX, socket.SOCK_STREAM, "\0" + abstract_name))
    config = {"ipv4": _host_ipv4(), "ipv6": ipv6, "tcp": port, "udp": port,
              "abstract": [abstract_name, *_host_abstract_sockets()]}
    try:
        result = sandbox.run(["python3", "-c", NET_PROBE, json.dumps(config)], timeout_s=90)
        arrived = []
        for sock in host_listeners:  # the host's side: nothing reached a host socket
            try:
                arrived.append(sock.accept() if sock.type == socket.SOCK_STREAM else sock.recvfrom(64))
            except BlockingIOError:
                pass
    finally:
        for sock in host_listeners:
            sock.close()

    assert result.ok, result.output
    report = json.loads(result.output.split("REPORT ", 1)[1])
    assert arrived == []
    assert report["loopback"] == "ok", "the probe's sockets work: the refusals below are the sandbox's"
    assert report["interfaces"] == ["lo"]
    assert config["ipv4"], "the host's own addresses were not found: the host routes go untested"
    for kind in ("tcp4", "udp4", "tcp6", "udp6"):
        assert report[kind] and all(v != "ok" for v in report[kind].values()), (kind, report[kind])
    assert all(v.startswith("gaierror") for v in report["dns"].values()), report["dns"]
    assert all(v == "EPERM" for v in report["raw"].values()), report["raw"]  # CAP_NET_RAW dropped
    assert report["ping"] != "ok"
    assert report["abstract"][abstract_name] == "ECONNREFUSED", report["abstract"][abstract_name]
    assert all(v != "ok" for v in report["abstract"].values()), report["abstract"]


# A coding_agent.py that hunts for the key: it dumps everything it can read that could carry one,
# and asks the gateway every question it can think of. The host searches the dump; the probe is
# never told the key.
HUNTER = textwrap.dedent(r'''
    import argparse, json, os, socket, stat, subprocess
    p = argparse.ArgumentParser()
    for flag in ("--problem-file", "--repo", "--outdir", "--max-steps"):
        p.add_argument(flag)
    a = p.parse_args()
    seen = {"env": dict(os.environ), "files": {}, "sockets": [], "answers": {}, "docker": {}}
    def read(path, limit=1 << 16):
        try:
            with open(path, "rb") as f:
                seen["files"][path] = f.read(limit).decode("utf-8", "replace")
        except OSError:
            pass
    for pid in [d for d in os.listdir("/proc") if d.isdigit()] + ["self", "thread-self"]:
        for name in ("environ", "cmdline", "mountinfo", "status", "cwd/.", "root/."):
            read(f"/proc/{pid}/{name}")
    for path in ("/proc/cmdline", "/proc/mounts", "/proc/net/unix", "/proc/keys"):
        read(path)
    for top in ("/run", "/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp", "/etc", "/agent", "/task", "/root", "/home"):
        for dirpath, dirnames, filenames in os.walk(top):
            for name in filenames:
                path = os.path.join(dirpath, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISSOCK(mode):
                    continue
                if stat.S_ISREG(mode):
                    read(path)
    for dirpath, dirnames, filenames in os.walk("/"):
        if dirpath == "/":
            dirnames[:] = [d for d in dirnames if d not in ("proc", "sys")]
        for name in dirnames + filenames:
            if stat.S_ISSOCK(os.lstat(os.path.join(dirpath, name)).st_mode):
                seen["sockets"].append(os.path.join(dirpath, name))
    seen["argv"] = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    def ask(raw):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(os.environ["DGM_MODEL_SOCKET"])
            s.sendall(raw)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        return answer.decode("utf-8", "replace")
    def post(body, path="/v1/chat/completions"):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
    hello = {"messages": [{"role": "user", "content": "hi"}]}
    requests = {
        "models": b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "root": b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "traversal": b"GET /v1/../../proc/self/environ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "chat": post(hello),
        "overrides": post({**hello, "model": "gpt-4o", "api_key": "mine", "base_url": "http://attacker/v1",
                           "extra_headers": {"X-Echo": "1"}, "user": "me", "stream": True}),
        "upstream_error": post({"messages": [{"role": "user", "content": "upstream-error-please"}]}),
        "bad_json": post(b"{not json"),
        "huge_length": b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n",
        "put": b"PUT /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    }
    for name, raw in requests.items():
        try:
            seen["answers"][name] = ask(raw)
        except OSError as exc:
            seen["answers"][name] = f"error: {exc}"
    for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
                 "/var/run/docker/containerd/containerd.sock"):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
            seen["docker"][path] = "connected"
        except OSError as exc:
            seen["docker"][path] = exc.strerror
    json.dump([{"role": "probe", "content": json.dumps(seen)}], open(os.path.join(a.outdir, "transcript.json"), "w"))
''')


def test_the_api_key_is_nowhere_the_agent_can_look_and_the_engine_is_out_of_reach(
        sandbox, model_gateway, tmp_path, monkeypatch):
    key = model_gateway.api_key
    monkeypatch.setenv(model_gateway.config.model.api_key_env, key)  # where dgm itself reads the key from
    agent_dir, repo_dir = tmp_path / "agent", tmp_path / "repo"
    agent_dir.mkdir()
    (agent_dir / "coding_agent.py").write_text(HUNTER)
    repo_dir.mkdir()
    (repo_dir / "main.py").write_text("print('hi')\n")
    config = model_gateway.config.model_copy(update={"sandbox": sandbox.config.model_copy(update={"agent_timeout_s": 90})})

    outcome = run_agent(sandbox, config, agent_dir, repo_dir, "find the key", model_gateway.gateway.channel, tmp_path / "work")

    assert outcome.run.ok, outcome.run.output
    seen = json.loads(outcome.transcript[0]["content"])
    dump = json.dumps(seen)
    secret = key.removeprefix("sk-dgm-")
    fragments = [secret[i:i + 10] for i in range(len(secret) - 9)]  # a masked or cut echo counts too
    assert key not in dump and not [f for f in fragments if f in dump], "the API key leaked into the container"
    assert any(path.startswith("/proc/") and path.endswith("/environ") for path in seen["files"]), "probe read no /proc"
    assert "hello from the host" in seen["answers"]["chat"], seen["answers"]["chat"]
    assert "HTTP/1.0 401" in seen["answers"]["upstream_error"] or "HTTP/1.1 401" in seen["answers"]["upstream_error"]
    assert seen["sockets"] == ["/run/dgm/model.sock"], "a Unix socket other than the gateway's is in reach"
    assert all(v != "connected" for v in seen["docker"].values()), seen["docker"]
    assert {c.purpose for c in model_gateway.archive.calls()} == {"solve"}
