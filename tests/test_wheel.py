"""What the Docker image runs, without Docker: the built wheel, installed non-editable with
``-c constraints.txt`` in a fresh virtualenv, running the Dockerfile's CMD with its ENV.

The ``wheel`` leg of ``.ci/run`` builds the wheel and the virtualenv and points
``OUROBOROS_WHEEL`` / ``OUROBOROS_WHEEL_VENV`` at them; without them (``make test``) these tests
skip. The strict editable install of ``make setup`` links files one by one from the checkout, so
it cannot show a module or data file missing from the wheel: these tests can.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
# What a fresh virtualenv may hold before anything is installed (when nothing pins them).
BOOTSTRAP = {"pip", "setuptools", "wheel"}


@pytest.fixture(scope="module")
def wheel() -> Path:
    path = os.environ.get("OUROBOROS_WHEEL")
    if not path or not Path(path).is_file():
        pytest.skip("no built wheel (OUROBOROS_WHEEL): the wheel leg of .ci/run builds it")
    return Path(path)


@pytest.fixture(scope="module")
def venv(wheel: Path) -> Path:
    path = os.environ.get("OUROBOROS_WHEEL_VENV")
    if not path or not (Path(path) / "bin" / "ouroboros").exists():
        pytest.skip("no virtualenv with the wheel installed (OUROBOROS_WHEEL_VENV)")
    return Path(path)


def _package_dirs() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(config["tool"]["setuptools"]["package-dir"])


def _source_files(folder: str) -> list[str]:
    """The files under ``folder`` that are tracked or would be (untracked, not ignored)."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", folder],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [p for p in out if (ROOT / p).is_file()]  # a deleted, uncommitted file is not shipped


def test_the_wheel_holds_every_file_of_the_package_tree_and_nothing_else(wheel: Path) -> None:
    expected: set[str] = set()
    for package, folder in _package_dirs().items():
        target = package.replace(".", "/")
        for path in _source_files(folder):
            expected.add(target + path[len(folder) :])
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if ".dist-info/" not in n}
    assert sorted(expected - shipped) == [], "files of the source tree missing from the wheel"
    assert sorted(shipped - expected) == [], "files in the wheel that the source tree lacks"
    assert any(n.endswith(".lark") for n in shipped) and any(n.endswith(".sql") for n in shipped)


def _installed(venv: Path) -> dict[str, str]:
    """Return ``{name: version}`` of every distribution in the virtualenv."""
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {canonicalize_name(name): version for name, version in json.loads(out)}


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_constraints_pin_exactly_what_the_wheel_installs(venv: Path) -> None:
    """Every runtime dependency is pinned and installed at its pin; no pin is left over."""
    installed = _installed(venv)
    assert installed.pop("ouroboros-engine") == "0.1.0"
    pins = _constraints()
    for name in BOOTSTRAP - set(pins):
        installed.pop(name, None)
    assert installed == pins


def test_the_install_is_the_wheel_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib, json, ouroboros, ouroboros.resolvers, ouroboros.store.schema as s\n"
        "bare = []\n"
        "for name in ('resolvers', 'tools', 'mcp_server', 'grammar'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        bare.append(name)\n"
        "    except ModuleNotFoundError:\n"
        "        pass\n"
        "print(json.dumps([ouroboros.__file__, ouroboros.resolvers.__file__, bare, len(s._ddl())]))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    main, resolvers, bare, ddl = json.loads(out)
    site = str(venv.resolve())
    assert main.startswith(site) and "site-packages" in main
    assert resolvers.startswith(site) and resolvers.endswith("ouroboros/resolvers/__init__.py")
    assert bare == [] and ddl > 0


# --- the image's CMD -----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's ``(INSTRUCTION, rest)`` pairs (continuations joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _image() -> tuple[dict[str, str], list[str], list[str], str]:
    """Return the image's ``(ENV, CMD, HEALTHCHECK command, pip install line)``."""
    env: dict[str, str] = {}
    cmd: list[str] = []
    health: list[str] = []
    install = ""
    for word, rest in _instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
        elif word == "CMD":
            cmd = json.loads(rest)
        elif word == "HEALTHCHECK":
            health = json.loads(rest[rest.index("CMD ") + 4 :])
        elif word == "RUN" and "pip install" in rest:
            install = rest
    return env, cmd, health, install


def test_the_image_installs_with_the_constraints() -> None:
    _env, cmd, health, install = _image()
    assert re.search(r"pip install [^&]*-c constraints\.txt \.", install), install
    assert cmd[0] == "ouroboros" and health[0] == "python"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def image_env(venv: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The image's ENV, with /data and /workspace under tmp_path, a free port, and the wheel's
    virtualenv first on PATH (the image's ``python`` and ``ouroboros``)."""
    env, _cmd, _health, _install = _image()
    for folder in ("data", "workspace"):
        (tmp_path / folder).mkdir()
    env = {k: v.replace("/data/", f"{tmp_path}/data/") for k, v in env.items()}
    env["OUROBOROS_ROOTS"] = env["OUROBOROS_ROOTS"].replace("/workspace", f"{tmp_path}/workspace")
    env["OUROBOROS_PORT"] = str(_free_port())
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OUROBOROS_", "VIRTUAL_ENV"))}
    base["PATH"] = f"{venv / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    base["HOME"] = str(tmp_path)
    yield {**base, **env}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_serve_with_the_image_settings(image_env: dict[str, str], tmp_path: Path) -> None:
    _env, cmd, health, _install = _image()
    port = image_env["OUROBOROS_PORT"]
    base = f"http://127.0.0.1:{port}"
    # As the Dockerfile says: on 0.0.0.0 the server will not start before a token exists.
    refused = _run(cmd, image_env, tmp_path)
    assert refused.returncode != 0 and "refusing to bind 0.0.0.0" in refused.stderr
    assert _run(health, image_env, tmp_path).returncode != 0  # nothing listens yet
    created = _run(
        ["ouroboros", "token", "create", "admin", "--scope", "admin"], image_env, tmp_path
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=image_env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not answer /health"
            time.sleep(0.2)
        checked = _run(health, image_env, tmp_path)
        assert checked.returncode == 0, checked.stderr  # the HEALTHCHECK passes
        edn = {"content-type": "application/edn"}
        query = "[:system/healthy?]"
        assert httpx.post(base + "/eql", content=query, headers=edn).status_code == 401
        auth = {**edn, "authorization": f"Bearer {secret}"}
        answer = httpx.post(base + "/eql", content=query, headers=auth, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"system/healthy?": True}
        asset = httpx.get(base + "/dashboard/static/dashboard.js", timeout=10)
        shipped = (ROOT / "ouroboros/http/static/dashboard/dashboard.js").read_bytes()
        assert asset.status_code == 200 and asset.content == shipped  # package data, served
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    assert _run(health, image_env, tmp_path).returncode != 0  # a stopped server fails it
    assert (tmp_path / "data" / "ouroboros.duckdb").exists()  # the image's database path
