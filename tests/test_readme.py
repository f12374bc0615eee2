"""The README, tried as a new user would: every ```sh example runs as written, in order, on a
fresh database, with the server that `make serve` starts; every link stays inside the repository.

How the examples run: one bash process (so an `export` in one block holds for the next), in the
checkout (the examples read `README.md` and the git history), with the virtualenv's `bin` first
on `PATH` (the README asks the reader to activate it). `OUROBOROS_DB` points at a fresh file and
`HOME` at an empty directory, so no earlier database or user configuration is seen. The server
runs the Makefile's own `serve` recipe on a free port (the examples' `:8000` is rewritten to it,
so parallel tests never collide). The quick-start block's `make test` is not run here (this test
is part of it); `make serve` is what the running server is. ```console blocks need outside parts
(a model, a platform, a second machine) and are not run; other tests cover what they show.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BIN = Path(sys.executable).parent

_FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
_PORT = re.compile(r"\b(?:localhost|127\.0\.0\.1):8000\b")


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    body: str


def blocks(lang: str) -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        if m.group("lang") == lang:
            body = "\n".join(x[len(m.group("indent")) :] for x in m.group("body").splitlines())
            found.append(Block(lang, text.count("\n", 0, m.start()) + 1, body))
    return found


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # an open quote: the command goes on on the next line
        return False
    return True


def commands(block: Block) -> list[str]:
    """The block's commands: continued and quoted lines joined, blank and comment lines dropped."""
    out: list[str] = []
    pending = ""
    for raw in block.body.splitlines():
        line = pending + raw
        if not _complete(line):
            pending = (line[:-1] + " ") if line.endswith("\\") else line + "\n"
            continue
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line)
    assert not pending, f"README line {block.line}: a block ends inside a command"
    return out


def _make_targets(block: Block) -> list[str] | None:
    """The targets when every command of the block is `make TARGET`, else None."""
    targets = [re.fullmatch(r"make (\S+)\s*(?:#.*)?", c) for c in commands(block)]
    return [m.group(1) for m in targets if m] if all(targets) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_recipe() -> str:
    """The shell command of the Makefile's `serve` target, with its make variables expanded."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    m = re.search(r"^serve:.*\n((?:\t.*\n)+)", text, re.M)
    assert m, "the Makefile has no serve target"
    recipe = " && ".join(line.strip() for line in m.group(1).splitlines())
    return (
        recipe.replace("$(BIN)", shlex.quote(str(BIN)))
        .replace("$(CURDIR)", shlex.quote(str(REPO)))
        .replace("$$", "$")
    )


def test_the_quick_start_is_the_makefile() -> None:
    """The first block is the two-command quick start; every `make X` the README shows exists.

    Blocks of `make` targets are not run here: `make test` runs this test, `make serve` is the
    server the examples run against, and `make bench` / `make fuzz` take minutes.
    """
    sh = blocks("sh")
    assert _make_targets(sh[0]) == ["serve", "test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    shown = [t for b in sh for t in (_make_targets(b) or [])]
    assert len(shown) >= 4
    for target in shown:
        assert re.search(rf"^{target}:", makefile, re.M), f"README shows `make {target}`: no target"


def test_links_stay_inside_the_repository() -> None:
    """Relative links and images resolve to files in the checkout; no `../` path is named."""
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (REPO / target.split("#")[0]).resolve()
        assert path.is_relative_to(REPO), f"README links outside the repository: {target}"
        assert path.exists(), f"README links to a missing file: {target}"
    assert "../" not in re.sub(r"```.*?```", "", text, flags=re.S), "README names a path outside"


def test_the_python_example_runs() -> None:
    """The "In Python" block runs, and its last line gives the value its comment says."""
    (example,) = [b for b in blocks("python") if "Engine(" in b.body]
    last = example.body.rstrip().splitlines()[-1]
    expr, _, expected = last.partition("  # ")
    namespace: dict[str, object] = {}
    exec(compile(example.body, f"README.md:{example.line}", "exec"), namespace)
    assert eval(expr, namespace) == eval(expected, {})


@pytest.fixture
def readme_server(tmp_path: Path):
    port = _free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OUROBOROS_", "XDG_"))},
        "HOME": str(home),
        "OUROBOROS_DB": str(tmp_path / "readme.duckdb"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", "-c", f"exec {_serve_recipe()} --port {port} --log-level warning"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)
        yield port, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_MARK = "::: readme-command"


def test_every_sh_example_runs_in_order(readme_server, tmp_path: Path) -> None:
    port, env = readme_server
    script = ["cd " + shlex.quote(str(REPO))]
    ran: list[tuple[Block, str]] = []
    for block in blocks("sh"):
        if _make_targets(block) is not None:
            continue  # see test_the_quick_start_is_the_makefile
        for command in commands(block):
            command = _PORT.sub(f"127.0.0.1:{port}", command)
            script.append(f"printf '\\n{_MARK} %d\\n' {len(ran)}")
            script.append(f"{{ {command}\n}} 2>&1 </dev/null")
            script.append(f"printf '\\n{_MARK}-rc %d\\n' $?")
            ran.append((block, command))
    assert len(ran) >= 15, "fewer README examples than expected: did the fence parsing break?"
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    outputs = re.split(rf"\n{_MARK} \d+\n", "\n" + done.stdout)[1:]
    assert len(outputs) == len(ran), done.stdout + done.stderr
    for (block, command), output in zip(ran, outputs, strict=True):
        body, _, rc = output.rpartition(f"\n{_MARK}-rc ")
        where = f"README line {block.line}: {command}\n{body}"
        assert rc.strip() == "0", where
        assert "Traceback" not in body, where
        assert '"error"' not in body, where
        # A null is what an example shows when the data it reads was never made (the Alice
        # example did this on a fresh database before the README created Alice first).
        assert not re.search(r":\s*null\b|\bnil\b", body), where
