"""Three ``ouroboros serve`` processes on one PostgreSQL database behind nginx, on loopback.

Real parts end to end: a throwaway PostgreSQL cluster, three server processes, and Debian's
nginx (started here with a generated config, round-robin over the three). A write through any
door is read back through every instance; concurrent writers through nginx lose and duplicate
nothing; ``kill -9`` of one instance loses no acknowledged write and the others keep serving.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from ouroboros.store import open_store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EDN = {"content-type": "application/edn"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _nginx() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


@pytest.fixture
def farm(
    pg_url: str, tmp_path: Path
) -> Iterator[tuple[str, list[str], list[subprocess.Popen[bytes]]]]:
    nginx = _nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs = []
    env = {**os.environ, "OUROBOROS_DB": pg_url}
    try:
        for _ in range(3):
            port = _free_port()
            log = open(tmp_path / f"serve-{port}.log", "wb")  # noqa: SIM115
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [str(Path(sys.executable).parent / "ouroboros"), "serve", "--port", str(port),
                     "--db", pg_url, "--allow-mutations", "--log-level", "warning"],
                    stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
                )
            )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            _wait_http(url, proc)
        front = _free_port()
        upstream = "\n".join(f"    server {u.removeprefix('http://')};" for u in urls)
        conf = tmp_path / "nginx.conf"
        conf.write_text(
            f"""daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fcgi;
  uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
  upstream ouroboros {{
{upstream}
  }}
  server {{
    listen 127.0.0.1:{front};
    location / {{
      proxy_pass http://ouroboros;
      proxy_set_header Host 127.0.0.1;
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""
        )
        ng = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], cwd=tmp_path)
        procs.append(ng)
        _wait_http(f"http://127.0.0.1:{front}", ng)
        yield f"http://127.0.0.1:{front}", urls, procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=20)
        for log in logs:
            log.close()


def _eql(base: str, text: str) -> dict:
    r = httpx.post(base + "/eql", content=text, headers=EDN, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _create(base: str, name: str) -> None:
    _eql(
        base,
        f'[(graph/create-entities! {{:entities [{{:name "{name}" :entityType "t" '
        f':observations ["made via {name}"]}}]}})]',
    )


def _observations(base: str, name: str) -> list[str] | None:
    out = _eql(base, f'[{{[:entity/name "{name}"] [:entity/observations]}}]')
    value = next(iter(out.values()))
    return value.get("entity/observations") if isinstance(value, dict) else None


def test_three_instances_behind_nginx_act_as_one(
    farm: tuple[str, list[str], list[subprocess.Popen[bytes]]], pg_url: str
) -> None:
    front, urls, procs = farm
    # a write through any instance (or the balancer) is read back through every instance
    for i, door in enumerate([front, *urls]):
        _create(door, f"via{i}")
        for url in urls:
            assert _observations(url, f"via{i}") == [f"made via via{i}"]

    # concurrent writers through the balancer, while one instance is killed -9 midway
    acked: list[str] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        for i in range(15):
            name = f"w{k}-{i}"
            try:
                _create(front, name)
            except (httpx.HTTPError, AssertionError):
                continue  # in flight at the kill: not acknowledged, may or may not exist
            with lock:
                acked.append(name)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    procs[0].send_signal(signal.SIGKILL)
    for t in threads:
        t.join(timeout=240)
    assert len(acked) >= 40  # the others kept serving
    with open_store(pg_url) as s:
        got = s.get_entities(acked)
        assert set(got) == set(acked)  # no acknowledged write lost
        total = s.counts()["entities"]
        names = [e["name"] for e in s.read_graph()["entities"]]
        assert len(names) == len(set(names)) == total  # nothing doubled
    for url in urls[1:]:
        assert _observations(url, acked[-1]) == [f"made via {acked[-1]}"]
