"""Every attribute, resolver, mutation, tool and GraphQL field of the default service has a
one-line description, and each surface shows it: ``/index``, GraphQL, MCP and ``ouroboros plan``.

Each test names every item missing one, so a new resolver without ``doc``/``docs`` fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.connect.shapes import Shape
from ouroboros.service import open_service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("descriptions")
    (base / "files").mkdir()
    settings = Settings(db_path=str(base / "db.duckdb"), roots=(str(base / "files"),))
    with open_service(settings) as opened:
        yield opened


def _walk(shape: Shape, out: set[str]) -> None:
    for attr, sub in shape.items():
        out.add(str(attr))
        _walk(sub, out)


def _all_attributes(engine: Any) -> set[str]:
    """Every attribute any resolver takes or gives, or any mutation gives, nested ones too."""
    found: set[str] = set()
    for r in engine.index.resolvers.values():
        _walk(r.output, found)
        _walk(r.input, found)
    for m in engine.index.mutations.values():
        _walk(m.output, found)
    return found


def _one_line(text: str | None) -> bool:
    return bool(text and text.strip() and "\n" not in text.strip())


def test_every_attribute_has_a_one_line_description(service) -> None:
    engine = service.engine
    missing = sorted(
        a for a in _all_attributes(engine) if not _one_line(engine.attributes.doc_of(a))
    )
    assert missing == [], f"{len(missing)} attributes without a one-line description: {missing}"


def test_every_resolver_and_mutation_has_a_summary(service) -> None:
    engine = service.engine
    missing = [f"resolver {n}" for n, r in engine.index.resolvers.items() if not r.summary]
    missing += [f"mutation {n}" for n, m in engine.index.mutations.items() if not m.summary]
    assert missing == [], f"{len(missing)} operations without a description: {missing}"


def test_index_shows_every_description(service) -> None:
    from ouroboros.http.status import attribute_index

    index = attribute_index(service.engine, service.tools)
    missing = [f"attribute {a['name']}" for a in index["attributes"] if not a["doc"]]
    missing += [f"resolver {r['name']}" for r in index["resolvers"] if not r["doc"]]
    missing += [f"mutation {m['name']}" for m in index["mutations"] if not m["doc"]]
    missing += [f"tool {t['name']}" for t in index["tools"] if not t["description"]]
    assert missing == [], f"/index items without a description: {missing}"
    # The EQL view of the index says the same.
    data = service.engine.process(
        "[{:ouroboros.index/attributes [:ouroboros.attribute/name :ouroboros.attribute/doc]}]"
    )
    rows = data["ouroboros.index/attributes"]
    assert [r for r in rows if not r["ouroboros.attribute/doc"]] == []


def test_every_graphql_field_has_a_description(service) -> None:
    from ouroboros.http.graphql import build_graphql_app

    schema = build_graphql_app(service, service.settings).schema._schema
    missing = []
    for type_name, gtype in schema.type_map.items():
        fields = getattr(gtype, "fields", None)
        if type_name.startswith("__") or fields is None or not hasattr(gtype, "interfaces"):
            continue  # introspection types, scalars, enums and input types
        for field_name, gfield in fields.items():
            if field_name != "_empty" and not (gfield.description or "").strip():
                missing.append(f"{type_name}.{field_name}")
    assert missing == [], f"{len(missing)} GraphQL fields without a description: {missing}"


def test_every_mcp_tool_has_a_description(service) -> None:
    import anyio

    from ouroboros.mcp_server import build_mcp_server

    async def listed() -> list[Any]:
        from mcp import Client

        async with Client(build_mcp_server(service.tools)) as client:
            return list((await client.list_tools()).tools)

    tools = anyio.run(listed)
    assert len(tools) == len(service.tools)
    assert [t.name for t in tools if not (t.description or "").strip()] == []


def test_plan_text_shows_each_resolver_description(service) -> None:
    engine = service.engine
    missing = []
    for r in engine.index.resolvers.values():
        attr = next(iter(r.output))
        text = engine.explain(f"[:{attr}]", [str(a) for a in r.input.required], fmt="text")
        for line in text.splitlines():
            if f"resolver {r.name} " in line and f" — {r.summary}" not in line:
                missing.append(f"{r.name}: {line.strip()}")
    assert missing == [], f"plan lines without the resolver's description: {missing}"


def test_plan_cli_prints_descriptions(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ouroboros.cli import main

    result = CliRunner().invoke(
        main, ["plan", "[:system/healthy?]"], env={"OUROBOROS_DB": str(tmp_path / "x.duckdb")}
    )
    assert result.exit_code == 0, result.output
    assert "resolver system/healthy → :system/healthy? — " in result.output
