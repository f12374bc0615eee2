"""The GraphiQL page at GET /graphql: on by default on loopback, same-origin shipped assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from starlette.testclient import TestClient

from ouroboros.http.app import create_app
from ouroboros.http.graphql.ide import ASSET_DIR, ASSETS, EXAMPLE_QUERY

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
LOOPBACK = "http://127.0.0.1"
LOCAL = ("127.0.0.1", 50000)
PAGE_URL = f"{LOOPBACK}/graphql"


class _Refs(HTMLParser):
    """Every URL the page makes the browser load: script src, link href, img src, etc."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "srcset", "data", "action"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script" and found.get("type") != "application/json"
        if self._in_script and not found.get("src"):
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.inline_scripts and data.strip():
            self.inline_scripts[-1] += data


def _page_refs(text: str) -> _Refs:
    refs = _Refs()
    refs.feed(text)
    return refs


def test_graphiql_page_by_default_on_loopback(client) -> None:
    page = client.get("/graphql", headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Ouroboros GraphiQL</title>" in page.text
    csp = page.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert "query Overview" in page.text and "system__healthy_QMARK_" in page.text


def test_the_example_query_runs_on_the_default_service(settings) -> None:
    from ouroboros.service import open_service

    with (
        open_service(settings) as service,
        TestClient(create_app(service=service), base_url=LOOPBACK, client=LOCAL) as c,
    ):
        body = c.post("/graphql", json={"query": EXAMPLE_QUERY}).json()
    assert "errors" not in body, body
    assert body["data"]["system__healthy_QMARK_"] is True
    assert body["data"]["tool"]["writes_QMARK_"] is False


def test_graphiql_page_references_only_same_origin_assets(client) -> None:
    page = client.get("/graphql", headers=HTML)
    refs = _page_refs(page.text)
    assert refs.inline_scripts == []  # the CSP allows no inline script, so none is needed
    assert not re.search(r"https?://", page.text.split("<body>")[0])
    served = set()
    for url in refs.urls:
        absolute = urljoin(PAGE_URL, url)
        parts = urlsplit(absolute)
        assert (parts.scheme, parts.netloc) == ("http", "127.0.0.1"), url
        assert parts.path.startswith("/graphql/assets/"), url
        name = parts.path.rsplit("/", 1)[1]
        r = client.get(f"{parts.path}?{parts.query}")
        assert r.status_code == 200, (url, r.text)
        assert r.headers["content-type"] == ASSETS[name], url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.content == (ASSET_DIR / name).read_bytes()
        served.add(name)
    assert served == set(ASSETS)


def test_graphiql_assets_revalidate_and_unknown_names_are_404(client) -> None:
    r = client.get("/graphql/assets/graphiql.min.css")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=0, must-revalidate"
    again = client.get(
        "/graphql/assets/graphiql.min.css", headers={"if-none-match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    for name in ("VENDORED.md", "LICENSE-react.txt", "ide.py", "..%2F..%2Fauth.py"):
        missing = client.get(f"/graphql/assets/{name}")
        assert missing.status_code == 404, name
        assert missing.json()["error"]["type"] == "NotFoundError"


def test_the_shipped_licences_sit_beside_the_assets() -> None:
    for name in ("LICENSE-graphiql.txt", "LICENSE-react.txt", "LICENSE-react-dom.txt"):
        assert (ASSET_DIR / name).read_text().startswith("MIT License")
    assert "graphiql@4.1.2" in (ASSET_DIR / "VENDORED.md").read_text()


def test_graphql_queries_still_work_beside_the_page(client) -> None:
    r = client.get("/graphql", params={"query": "{ people__count }"}, headers=HTML)
    assert r.json() == {"data": {"people__count": 3}}
    assert client.get("/graphql", params={"query": "{ people__count }"}).json() == {
        "data": {"people__count": 3}
    }


def test_a_get_without_a_query_is_one_clear_error(client) -> None:
    for accept in ("*/*", "application/json", "application/graphql-response+json"):
        r = client.get("/graphql", headers={"accept": accept})
        assert r.status_code == 400, (accept, r.text)
        error = r.json()["error"]
        assert error["type"] == "InvalidInputError" and "?query=" in error["message"]


def test_graphiql_off_when_asked(service, client_for) -> None:
    with client_for(service, graphiql=False) as c:
        page = c.get("/graphql", headers=HTML)
        assert page.status_code == 404
        error = page.json()["error"]
        assert error["type"] == "NotFoundError" and "--graphiql" in error["message"]
        assert c.get("/graphql/assets/graphiql.min.js").status_code == 404
        assert c.get("/graphql", params={"query": "{ people__count }"}).status_code == 200


def test_off_loopback_graphiql_is_off_unless_turned_on(settings, make_service, add_token):
    public = settings.with_(host="0.0.0.0")
    service = make_service(public)
    auth = add_token(service, "reader", "read")
    with TestClient(create_app(public, service=service, token_cache_ttl=0)) as c:
        page = c.get("/graphql", headers={**HTML, **auth})
        assert page.status_code == 404 and "off" in page.json()["error"]["message"]
    with TestClient(create_app(public, service=service, graphiql=True, token_cache_ttl=0)) as c:
        # The page and its assets hold no data: served without a token. Queries need one.
        page = c.get("/graphql", headers=HTML)
        assert page.status_code == 200 and "Ouroboros GraphiQL" in page.text
        assert c.get("/graphql/assets/graphiql.min.js").status_code == 200
        assert c.post("/graphql", json={"query": "{ people__count }"}).status_code == 401
        assert c.get("/graphql", params={"query": "{ people__count }"}).status_code == 401
        ok = c.post("/graphql", json={"query": "{ people__count }"}, headers=auth)
        assert ok.json() == {"data": {"people__count": 3}}


def test_tokens_on_loopback_keep_the_page_and_guard_the_queries(client, service, add_token):
    auth = add_token(service, "reader", "read")
    assert client.get("/graphql", headers=HTML).status_code == 200
    assert client.post("/graphql", json={"query": "{ people__count }"}).status_code == 401
    ok = client.post("/graphql", json={"query": "{ people__count }"}, headers=auth)
    assert ok.json() == {"data": {"people__count": 3}}
