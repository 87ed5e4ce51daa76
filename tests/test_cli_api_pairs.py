"""The CLI's ``--json``, the API and the pages' JSON twins give the same dict.

Each pair runs the command in-process and asks the app over ASGI, with the same
parameters, and compares the decoded JSON whole: a key the API has and the CLI
lacks (the stale-source notices, a symptom's ``by_domain``) fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.kb import KnowledgeBase
from smanav.web import create_app
from smanav.web.schemas import RESPONSE_MODELS


@pytest.fixture(scope="module")
def client(db_path: Path) -> Iterator[TestClient]:
    app = create_app(db_path)
    with TestClient(app) as c:
        yield c
    app.state.pdf.shutdown()


def cli_json(cli: Callable[..., Any], *args: str, code: int = 0) -> Any:
    result = cli(*args, "--json")
    assert result.code == code, result.stderr
    return json.loads(result.stdout)


def api_json(client: TestClient, path: str, status: int = 200, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    return response.json()


def described(template: str, data: Any, method: str = "get") -> None:
    """The answer is what the OpenAPI document says (its pydantic model accepts it)."""
    RESPONSE_MODELS[(template, method)].model_validate(data)


def test_treatments(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "treatments")
    assert mine == api_json(client, "/api/treatments") == api_json(client, "/treatments.json")
    assert len(mine["treatments"]) > 20
    described("/api/treatments", mine)


@pytest.mark.parametrize("domain", ["breathing", "spine", "Symptom medicines", "rehab"])
def test_treatments_by_domain(cli, client: TestClient, domain: str) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "treatments", "--domain", domain)
    assert mine == api_json(client, "/api/treatments", domain=domain)
    assert mine == api_json(client, "/treatments.json", domain=domain)
    assert {t["domain"] for t in mine["treatments"]} == {mine["domain"]}
    described("/api/treatments", mine)


def test_a_bad_domain_is_the_same_error(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "treatments", "--domain", "breething", code=2)
    assert mine == api_json(client, "/api/treatments", 422, domain="breething")
    assert mine["error"]["field"] == "domain"


def test_symptoms(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "symptoms")
    assert mine == api_json(client, "/api/symptoms") == api_json(client, "/symptoms.json")
    described("/api/symptoms", mine)


def assert_twin(mine: dict[str, Any], twin: dict[str, Any]) -> None:
    """The page's twin links to its own next page; everything else is the same dict."""
    for key in ("next", "previous"):
        if mine[key] is not None:
            assert twin[key] == mine[key].replace("/api/sources", "/sources.json")
    assert {**twin, "next": mine["next"], "previous": mine["previous"]} == mine


def test_sources_has_the_stale_notices_of_the_api(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "sources")
    assert mine == api_json(client, "/api/sources")
    assert_twin(mine, api_json(client, "/sources.json"))
    assert {"facts", "stale"} <= set(mine["sources"][0])
    assert "stale_count" in mine and mine["total"] > len(mine["sources"]) == mine["limit"]
    described("/api/sources", mine)


@pytest.mark.parametrize(("limit", "offset"), [(1, 1), (7, 140), (200, 0)])
def test_sources_pages(cli, client: TestClient, limit: int, offset: int) -> None:  # type: ignore[no-untyped-def]
    args = ("sources", "--limit", str(limit), "--offset", str(offset))
    mine = cli_json(cli, *args)
    assert mine == api_json(client, "/api/sources", limit=limit, offset=offset)
    assert_twin(mine, api_json(client, "/sources.json", limit=limit, offset=offset))


def test_every_source_is_in_one_page_of_200_and_some_are_stale(cli) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "sources", "--limit", "200")
    assert mine["next"] is None and len(mine["sources"]) == mine["total"]
    assert mine["stale_count"] == sum(len(s["stale"]) for s in mine["sources"]) > 0
    described("/api/sources", mine)


def _names(kb: KnowledgeBase) -> list[str]:
    names: set[str] = set()
    for c in kb.concepts.values():
        names.update([c.id, c.name, *c.brands, *c.synonyms, *c.lay_terms])
    return sorted(n for n in names if n.strip() and "/" not in n)


def test_show_a_symptom_has_by_domain_like_the_api(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "show", "drooling")
    assert mine == api_json(client, "/api/symptoms/drooling")
    assert mine == api_json(client, "/api/treatments/drooling")
    assert mine == api_json(client, "/symptoms/drooling.json")
    groups = {g["domain"] for g in mine["by_domain"]}
    assert "symptom-medicines" in groups
    described("/api/symptoms/{name}", mine)


def test_show_a_medicine_is_its_page_and_api_answer(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "show", "nusinersen")
    assert mine == api_json(client, "/api/treatments/nusinersen")
    assert mine == api_json(client, "/treatments/nusinersen.json")
    assert "by_domain" not in mine
    described("/api/treatments/{name}", mine)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_show_any_name_is_the_api_answer(cli, client: TestClient, kb: KnowledgeBase, data) -> None:  # type: ignore[no-untyped-def]
    """Any id, name, brand, synonym or everyday word: the same dict (or the same error)."""
    name = data.draw(st.sampled_from(_names(kb)))
    result = cli("show", name, "--json")
    mine = json.loads(result.stdout)
    response = client.get(f"/api/treatments/{name}")
    assert response.json() == mine
    assert (result.code, response.status_code) in ((0, 200), (2, 404)), name
    concept = kb.concepts.get(name) or kb.resolve(name)
    if concept.kind == "symptom":
        assert client.get(f"/api/symptoms/{name}").json() == mine
        assert "by_domain" in mine
        described("/api/symptoms/{name}", mine)
    elif result.code == 0:
        described("/api/treatments/{name}", mine)


def test_show_an_unknown_name_is_the_same_error(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "show", "no such medicine", code=2)
    assert mine == api_json(client, "/api/treatments/no such medicine", 404)
    assert mine["error"]["field"] == "name"


@pytest.mark.parametrize("query", ["drooling", "too much spit", "nusinersen side effects"])
def test_search(cli, client: TestClient, query: str) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "search", query)
    assert mine == api_json(client, "/api/search", q=query)
    assert mine == api_json(client, "/search.json", q=query)
    described("/api/search", mine)


@pytest.mark.parametrize("question", ["What helps with drooling?", "What is Spinraza?"])
def test_ask(cli, client: TestClient, question: str) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "ask", question)
    assert mine == api_json(client, "/api/ask", q=question)
    assert mine == api_json(client, "/ask.json", q=question)
    posted = client.post("/api/ask", json={"question": question})
    assert posted.status_code == 200 and posted.json() == mine
    described("/api/ask", mine)


PROFILES = [
    {"age": "8m", "sma_type": 1, "smn2_copies": 2, "symptoms": ["too much saliva"]},
    {"age": "3y", "sma_type": 2, "medications": ["Robinul", "sertraline"], "region": "EU"},
]


@pytest.mark.parametrize("profile", PROFILES)
def test_plan(cli, client: TestClient, tmp_path: Path, profile: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    mine = cli_json(cli, "plan", "--profile", str(path))
    response = client.post("/api/plan", json=profile)
    assert response.status_code == 200 and response.json() == mine
    assert mine["options"]
    described("/api/plan", mine, "post")


def test_a_bad_plan_is_the_same_error(cli, client: TestClient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"age": "8m", "functional_status": "flying"}))
    mine = cli_json(cli, "plan", "--profile", str(path), code=2)
    response = client.post("/api/plan", json={"age": "8m", "functional_status": "flying"})
    assert response.status_code == 422 and response.json() == mine


def test_sources_pages_alike_in_the_terminal(cli) -> None:  # type: ignore[no-untyped-def]
    from smanav import browse
    from smanav.cli import browse as cli_browse

    assert (cli_browse.SOURCES_PAGE, cli_browse.SOURCES_MAX_PAGE) == (
        browse.SOURCES_PAGE,
        browse.SOURCES_MAX_PAGE,
    )
    first = cli("sources")
    assert first.code == 0 and "Sources 1–25 of " in first.stdout
    assert "the next: smanav sources --offset 25" in first.stdout
    total = json.loads(cli("sources", "--json").stdout)["total"]
    last = cli("sources", "--limit", "7", "--offset", str(total - 3))
    assert f"Sources {total - 2}–{total} of {total}." in last.stdout
    every = " ".join(cli("sources", "--limit", "200").stdout.split())
    assert "Newer dated facts exist: Treatment (spinal muscular atrophy) (2020-06-16)" in every
    assert "Later: “" in every and "Sources 1–" not in every


@pytest.mark.parametrize(
    ("args", "params"),
    [
        (("--limit", "0"), {"limit": 0}),
        (("--limit", "201"), {"limit": 201}),
        (("--offset", "-1"), {"offset": -1}),
    ],
)
def test_a_bad_page_is_refused_by_both(cli, client: TestClient, args, params) -> None:  # type: ignore[no-untyped-def]
    result = cli("sources", *args)
    assert result.code == 2 and "Traceback" not in result.stderr
    assert ("limit" if "limit" in params else "offset") in result.stderr
    error = api_json(client, "/api/sources", 422, **params)["error"]
    assert error["field"] == f"query.{next(iter(params))}"


@pytest.mark.parametrize("name", ["fda", "smn1", "care-team"])
def test_show_any_other_concept_is_its_page(cli, client: TestClient, name: str) -> None:  # type: ignore[no-untyped-def]
    mine = cli_json(cli, "show", name)
    assert mine == api_json(client, f"/api/treatments/{name}")
    assert mine == api_json(client, f"/concepts/{name}.json")
    described("/api/treatments/{name}", mine)


def test_the_wizard_plan_is_the_cli_plan(cli, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    """The plan page's JSON twin (the form's fields) and the CLI's flags: one plan."""
    flags = ("--age", "8m", "--type", "1", "--status", "non-sitter", "--symptom", "drooling")
    mine = cli_json(cli, "plan", *flags, "--medication", "Robinul", "--medication", "baclofen")
    form = {
        "age": "8m",
        "sma_type": "1",
        "functional_status": "non-sitter",
        "symptoms": "drooling",
        "medications": "Robinul, baclofen",
    }
    response = client.post("/plan.json", data=form)
    assert response.status_code == 200 and response.json() == mine
    assert mine["medicines"]["checked"]
