"""The README's "Write a plugin" example, copied out of the README and loaded as written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from ouroboros.config import Settings
from ouroboros.service import build_service
from ouroboros.store import open_store

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_plugin_works(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Write a plugin") :]
    toml = re.search(r"```toml\n(.*?)```", section, re.S)
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert toml and code
    assert len(toml.group(1).splitlines()) + len(code.group(1).splitlines()) < 40
    pkg = tmp_path / "plugins" / f"hello_{uuid.uuid4().hex[:8]}"  # a unique package name
    pkg.mkdir(parents=True)
    (pkg / "ouroboros-plugin.toml").write_text(toml.group(1))
    (pkg / "__init__.py").write_text(code.group(1))
    settings = Settings(
        db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(tmp_path / "plugins"),)
    )
    store = open_store(":memory:", embedder=None)
    store.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    with build_service(settings, store) as service:
        assert not service.plugins.refused, [r.line for r in service.plugins.refused]
        result = service.engine.process('[{[:entity/name "Alice"] [:hello/greeting]}]')
        assert result[("entity/name", "Alice")] == {"hello/greeting": "hello person Alice"}
        envelope = service.tools.call_sync("hello", {"name": "Alice"})
        assert envelope["result"] == {"hello/greeting": "hello person Alice"}
