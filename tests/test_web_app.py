"""The web pages and the JSON API as a browser or a script sees them (no real browser here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smanav.settings import DISCLAIMER
from smanav.web import create_app


@pytest.fixture(scope="module")
def client(db_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db_path)) as c:
        yield c


def text_of(html: str) -> str:
    """The visible words of a page, roughly: tags dropped, whitespace squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- pages and their JSON twins -----------------------------------------------------
PAGES = [
    ("/", "SMA treatments, with their sources"),
    ("/treatments", "Treatments and aids"),
    ("/treatments?domain=breathing", "Non-invasive ventilation"),
    ("/treatments/nusinersen", "Spinraza"),
    ("/symptoms", "Symptoms and what may help"),
    ("/symptoms/drooling", "Glycopyrrolate"),
    ("/concepts/sma", "Spinal muscular atrophy"),
    ("/sources", "Sources and their dates"),
    ("/search?q=drooling", "Drooling"),
    ("/ask?q=what+helps+with+drooling", "Answer"),
    ("/plan", "Prepare a care-discussion plan"),
    ("/docs", "/api/plan"),
]


@pytest.mark.parametrize(("path", "needle"), PAGES)
def test_every_page_renders_with_landmarks_and_the_disclaimer(
    client: TestClient, path: str, needle: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert needle in text_of(html)
    assert DISCLAIMER in text_of(html)
    for landmark in ('<main id="main"', "<header", "<nav", "<footer", 'href="#main"'):
        assert landmark in html
    assert len(re.findall(r"<h1[ >]", html)) == 1


@pytest.mark.parametrize("path", [p for p, _ in PAGES if p not in ("/docs",)])
def test_every_page_has_a_json_twin_with_the_same_data(client: TestClient, path: str) -> None:
    base, _, query = path.partition("?")
    twin = ("/index" if base == "/" else base) + ".json" + (f"?{query}" if query else "")
    by_suffix = client.get(twin)
    by_param = client.get(path + ("&" if query else "?") + "format=json")
    assert by_suffix.status_code == by_param.status_code == 200
    assert by_suffix.headers["content-type"].startswith("application/json")
    assert by_suffix.json() == by_param.json()
    assert by_suffix.json()["disclaimer"] == DISCLAIMER


def test_treatment_page_twin_is_the_library_view(client: TestClient, kb: Any) -> None:
    from smanav.browse import show_concept

    assert client.get("/treatments/risdiplam.json").json() == show_concept(kb, "risdiplam")


def test_treatment_page_shows_sections_quotes_and_sources(client: TestClient) -> None:
    page = text_of(client.get("/treatments/onasemnogene-abeparvovec").text)
    for heading in ("What it is", "Who it is for", "Approvals and dates"):
        assert heading in page
    # Both the 2020 article and the label are shown on who may receive it.
    assert "SMA News Today" in page and "NDC List" in page
    assert "characters" in page  # a locator into the article
    assert "secondary source" in page


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("spinraza", "/treatments/nusinersen"),
        ("Zolgensma", "/treatments/onasemnogene-abeparvovec"),
        ("Robinul", "/treatments/glycopyrrolate"),
        ("nusinersn", "/treatments/nusinersen"),  # a small typo
        ("drooling", "/symptoms/drooling"),  # a symptom asked for as a treatment
    ],
)
def test_brand_names_and_synonyms_redirect_to_the_generic_page(
    client: TestClient, name: str, target: str
) -> None:
    r = client.get(f"/treatments/{name}", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == target
    twin = client.get(f"/treatments/{name}.json", follow_redirects=False)
    assert twin.headers["location"] == target + ".json"


def test_lay_words_redirect_to_the_symptom_page(client: TestClient) -> None:
    r = client.get("/symptoms/too much saliva", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"].startswith("/symptoms/")


def test_symptom_page_groups_what_helps_by_domain_with_sources(client: TestClient) -> None:
    data = client.get("/symptoms/drooling.json").json()
    domains = [g["domain"] for g in data["by_domain"]]
    assert "symptom-medicines" in domains
    options = [o for g in data["by_domain"] for o in g["options"]]
    assert all(st["evidence"] for o in options for st in o["statements"])


def test_sources_page_flags_the_2020_article_against_the_newer_label(client: TestClient) -> None:
    data = client.get("/sources.json?limit=200").json()
    article = next(s for s in data["sources"] if s["source"] == "smant-treatment")
    assert article["facts"], "the founding article carries statements"
    stale = [
        s
        for s in article["stale"]
        if s["subject"] == "onasemnogene-abeparvovec" and s["predicate"] == "eligibility"
    ]
    assert stale, "the 2020 age statement has a newer, different label statement"
    assert stale[0]["date"] == "2020-06-16"
    newer_sources = {ev["source"] for n in stale[0]["newer"] for ev in n["sources"]}
    assert "ndclist-zolgensma-label" in newer_sources
    page = text_of(client.get("/sources?limit=200").text)
    assert "Newer dated facts exist" in page


# --- errors: one shape ---------------------------------------------------------------
def test_unknown_name_is_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/api/treatments/nusinersennn-xx")
    assert r.status_code == 404
    err = r.json()["error"]
    assert set(err) >= {"field", "message", "suggestions"}
    assert err["field"] == "name"
    assert "Nusinersen" in err["suggestions"]
    page = client.get("/treatments/nusinersennn-xx")
    assert page.status_code == 404
    assert "Did you mean" in page.text and 'href="/concepts/Nusinersen"' in page.text


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/search?q=drooling&limit=0", "query.limit"),
        ("/api/search?q=drooling&limit=many", "query.limit"),
        ("/api/search", "query.q"),
        ("/api/treatments?domain=astrology", "domain"),
    ],
)
def test_bad_query_input_is_422_naming_the_field(client: TestClient, path: str, field: str) -> None:
    r = client.get(path)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == field
    assert err["message"]


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith("There is no page")
    r = client.delete("/api/treatments")
    assert r.status_code == 405
    assert "error" in r.json()


def test_request_bodies_over_one_megabyte_are_refused_with_413(client: TestClient) -> None:
    big = json.dumps({"age": "8m", "symptoms": ["x" * 1_100_000]})
    r = client.post("/api/plan", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["field"] == "body"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(20):
            yield b" " * 100_000

    r = client.post("/api/plan", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_malformed_json_is_422_naming_the_body(client: TestClient) -> None:
    r = client.post(
        "/api/plan", content=b'{"age": 8,', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "body"
    assert "JSON" in r.json()["error"]["message"]


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "field", "message"),
    [
        (b'["8m"]', JSON, 422, "body", "Input should be a valid dictionary"),
        (b'"8m"', JSON, 422, "body", "Input should be a valid dictionary"),
        (b"null", JSON, 422, "body", "Field required"),
        (b"", JSON, 422, "body", "Field required"),
        (
            b'{"age"',
            JSON,
            422,
            "body",
            "is not valid JSON (Expecting ':' delimiter at character 6)",
        ),
        (b'{"age": "8m"}', {}, 422, "body", "Input should be a valid dictionary"),
        (b'{"age": "8m"}', {"content-type": "text/plain"}, 422, "body", "valid dictionary"),
        (b'{"age": "\xff"}', JSON, 400, "body", "There was an error parsing the body"),
        (b'{"age": NaN}', JSON, 422, "age", "NaN is not a number smanav takes"),
        (b'{"age": "8m"}', {"content-type": "application/json; charset=utf-8"}, 200, None, ""),
        (b'{"age": "8m"}', {"content-type": "application/fhir+json"}, 200, None, ""),
    ],
)
def test_plan_bodies_are_read_as_a_json_object(
    client: TestClient,
    body: bytes,
    headers: dict[str, str],
    status: int,
    field: str | None,
    message: str,
) -> None:
    """What FastAPI's dict Body() answered, json_object answers (the engine checks fields)."""
    r = client.post("/api/plan", content=body, headers=headers)
    assert r.status_code == status
    if status == 200:
        assert r.json()["profile"]["age_months"] == 8
    else:
        assert r.json()["error"]["field"] == field
        assert message in r.json()["error"]["message"]


# --- security ------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/api/treatments", "/nope", "/static/site.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    h = client.get(path).headers
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_scripts_or_styles(client: TestClient) -> None:
    for path in ("/", "/treatments/nusinersen", "/plan", "/docs"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path  # no inline handlers


# --- the API -------------------------------------------------------------------------
def test_api_lists_and_shows_treatments_like_the_cli(client: TestClient, kb: Any) -> None:
    from smanav.browse import symptoms_list, treatments_list

    assert client.get("/api/treatments").json() == treatments_list(kb)
    assert client.get("/api/treatments?domain=breathing").json() == treatments_list(kb, "breathing")
    assert client.get("/api/symptoms").json() == symptoms_list(kb)
    evrysdi = client.get("/api/treatments/Evrysdi").json()
    assert evrysdi["concept"] == "risdiplam"


def test_api_sources_search_and_ask(client: TestClient) -> None:
    sources = client.get("/api/sources").json()
    assert {"source", "date", "facts", "stale"} <= set(sources["sources"][0])
    found = client.get("/api/search", params={"q": "too much saliva", "limit": 3}).json()
    assert found["query"] == "too much saliva"
    assert len(found["passages"]) <= 3
    answer = client.get("/api/ask", params={"q": "What helps with drooling?"}).json()
    assert {"question", "answer", "concepts", "citations"} <= set(answer)
    posted = client.post("/api/ask", json={"question": "What helps with drooling?"}).json()
    assert posted == answer


def test_api_plan_returns_the_library_plan_and_stores_nothing(client: TestClient, kb: Any) -> None:
    from smanav.plan import make_plan

    profile = {"age": "30m", "sma_type": 2, "functional_status": "sitter"}
    r = client.post("/api/plan", json=profile)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.json() == make_plan(profile, kb)
    zolgensma = next(o for o in r.json()["options"] if o["concept"] == "onasemnogene-abeparvovec")
    assert zolgensma["status"] == "not_offered"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"age": -3}, "age_months"),
        ({"age": "8m", "sma_type": 9}, "sma_type"),
        ({"age": "8m", "functional_status": "runner"}, "functional_status"),
        ({"age": "8m", "symptoms": ["unicorn tears"]}, "symptoms[0]"),
        ({"sma_type": 1}, "age_months"),
        (
            {"age": "8m", "symptoms": ["drooling"], "symptom_words": {"dysphagia": "x"}},
            "symptom_words['dysphagia']",
        ),
        ({"age": "8m", "symptom_words": "can't swallow"}, "symptom_words"),
    ],
)
def test_api_plan_rejects_bad_profiles_with_the_field(
    client: TestClient, profile: dict[str, Any], field: str
) -> None:
    r = client.post("/api/plan", json=profile)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == field
    assert err["message"]


def test_api_plan_body_must_be_an_object(client: TestClient) -> None:
    r = client.post("/api/plan", json=["8m"])
    assert r.status_code == 422
    assert r.json()["error"]["field"].startswith("body")


def test_openapi_documents_every_api_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/treatments",
        "/api/treatments/{name}",
        "/api/symptoms",
        "/api/sources",
        "/api/search",
        "/api/ask",
        "/api/plan",
        "/fhir/PlanDefinition",
        "/fhir/CarePlan/$generate",
        "/cds-services",
    ):
        assert path in spec["paths"], path
    docs = client.get("/docs.json").json()
    assert {op["path"] for op in docs["operations"]} == set(spec["paths"])
    assert client.get("/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


# --- the plan wizard without a browser ----------------------------------------------
def test_wizard_posts_a_plan_page_and_keeps_nothing(client: TestClient) -> None:
    form = {
        "age": "8m",
        "sma_type": "1",
        "functional_status": "non-sitter",
        "symptoms": ["drooling"],
        "medications": "baclofen",
        "alcohol_use": "yes",
    }
    r = client.post("/plan", data=form)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    page = text_of(r.text)
    assert "Care-discussion plan" in page and "Nusinersen" in page
    assert "Download as PDF" in page
    pdf = client.post("/plan.pdf", data=form)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


def test_the_parents_words_reach_the_plan_from_the_api_and_the_wizard(
    client: TestClient,
) -> None:
    r = client.post("/api/plan", json={"age": "8m", "symptoms": ["can't swallow", "drooling"]})
    assert r.status_code == 200
    assert r.json()["profile"]["symptom_words"] == {"dysphagia": "can't swallow"}
    form = {"age": "8m", "sma_type": "1", "other_symptoms": "can't swallow"}
    page = unescape(text_of(client.post("/plan", data=form).text))
    assert "Symptoms: can't swallow (trouble swallowing, dysphagia)." in page


def test_wizard_errors_appear_next_to_the_field_in_words(client: TestClient) -> None:
    r = client.post("/plan", data={"age": "-3", "other_symptoms": "droolzzz"})
    assert r.status_code == 422
    html = r.text
    age = re.search(r'<p id="age-error"[^>]*>(.*?)</p>', html, re.S)
    assert age and "negative" in text_of(age.group(1))
    other = re.search(r'<p id="other_symptoms-error"[^>]*>(.*?)</p>', html, re.S)
    assert other and "droolzzz" in text_of(other.group(1)) and "Drooling" in other.group(1)
    assert 'aria-invalid="true"' in html and 'aria-describedby="age-hint age-error"' in html
    assert 'value="-3"' in html  # what was typed is kept
    assert 'href="#field-age"' in html  # the summary links to the field


def test_wizard_change_answers_keeps_what_was_entered(client: TestClient) -> None:
    r = client.post("/plan/edit", data={"age": "3y", "symptoms": ["scoliosis"]})
    assert r.status_code == 200
    assert 'value="3y"' in r.text
    assert re.search(r'id="sym-scoliosis"[^>]*checked', r.text)


# --- untrusted text is shown as text ------------------------------------------------
HOSTILE_TEXT = (
    'Evil pill <script>alert("passage")</script> helps with drooling, '
    'says <img src=x onerror="alert(2)"> someone.'
)


@pytest.fixture(scope="module")
def hostile_client(db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A copy of the knowledge base with an ingested document full of markup."""
    import hashlib
    import sqlite3

    from smanav.kb import norm_name
    from smanav.models import Assertion, Concept, Source
    from smanav.store import Store, bump_generation

    path = tmp_path_factory.mktemp("hostile") / "smanav.db"
    with sqlite3.connect(db_path) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    start = HOSTILE_TEXT.index("Evil")
    end = len(HOSTILE_TEXT)
    span = HOSTILE_TEXT[start:end]
    source = Source(
        id="evil-source",
        title='<script>alert("title")</script> Evil article',
        publisher="<b>Nobody</b>",
        url="javascript:alert(1)",
        kind="article",
        grade="secondary",
    )
    concept = Concept(
        id="evil-pill",
        kind="drug",
        name='<img src=x onerror="alert(3)">Evil pill',
        domain="symptom-medicines",
    )
    assertion = Assertion(
        id="evil-pill-definition",
        subject="evil-pill",
        predicate="definition",
        value='<script>alert("value")</script> a pill made up for this test',
        evidence=[
            {
                "source": "evil-source",
                "start": start,
                "end": end,
                "sha256": hashlib.sha256(span.encode()).hexdigest(),
            }
        ],
        status="accepted",
    )
    with Store(path) as store, store.atomic() as db:
        db.execute(
            "INSERT INTO sources VALUES (?, 'ingested', ?)", (source.id, source.model_dump_json())
        )
        db.execute(
            "INSERT INTO documents VALUES (?, 'ingested', ?, ?)",
            (source.id, hashlib.sha256(HOSTILE_TEXT.encode()).hexdigest(), HOSTILE_TEXT),
        )
        db.execute(
            "INSERT INTO passage_fts VALUES (?, 'ingested', 0, ?, ?)",
            (source.id, len(HOSTILE_TEXT), HOSTILE_TEXT),
        )
        db.execute(
            "INSERT INTO concepts VALUES (?, 'ingested', 'drug', ?, ?, ?)",
            (concept.id, concept.name, "symptom-medicines", concept.model_dump_json()),
        )
        db.execute(
            "INSERT INTO names VALUES (?, ?, ?, 'name', 'ingested')",
            (concept.id, concept.name, norm_name(concept.name)),
        )
        db.execute(
            "INSERT INTO assertions VALUES (?, 'ingested', ?, 'definition', NULL, 'accepted', ?)",
            (assertion.id, assertion.subject, assertion.model_dump_json()),
        )
        bump_generation(db)
    with TestClient(create_app(path)) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/treatments/evil-pill",
        "/treatments",
        "/",
        "/sources",
        "/search?q=evil+pill+drooling",
        "/ask?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",  # the search words echoed back
        "/treatments/%3Cimg%20src=x%20onerror=alert(1)%3E",  # a 404 naming the path
    ],
)
def test_markup_in_ingested_documents_renders_as_text(
    hostile_client: TestClient, path: str
) -> None:
    r = hostile_client.get(path)
    assert r.status_code == (404 if "onerror" in path else 200)
    html = r.text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(" in html or "&lt;img src=x" in html


def test_markup_is_kept_verbatim_in_json(hostile_client: TestClient) -> None:
    data = hostile_client.get("/treatments/evil-pill.json").json()
    assert data["name"].startswith("<img src=x")
    quote = data["what_it_is"][0]["evidence"][0]["quote"]
    assert '<script>alert("passage")</script>' in quote


# --- smanav serve --------------------------------------------------------------------
def test_smanav_serve_starts_the_site(tmp_path: Path) -> None:
    """The README's main command: a fresh knowledge-base path is built, then served."""
    import subprocess
    import sys
    import time
    import urllib.request

    from webtools import free_port

    db = tmp_path / "kb" / "smanav.db"
    db.parent.mkdir()
    port = free_port()
    exe = Path(sys.executable).with_name("smanav")
    proc = subprocess.Popen(
        [str(exe), "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    html = r.read().decode()
                    headers = {k.lower(): v for k, v in r.headers.items()}
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "smanav serve did not answer"
                time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "SMA treatments, with their sources" in html
    assert headers["x-content-type-options"] == "nosniff"
    assert db.exists(), "the knowledge base was built on first run"
    assert f"http://127.0.0.1:{port}" in err and "Traceback" not in err


# --- review: headers and caching on every response, unique titles, nothing stored ----
@pytest.fixture(scope="module")
def crashing_client(db_path: Path) -> Iterator[TestClient]:
    """The app with one route that fails unexpectedly, as a bug in the library would."""
    app = create_app(db_path)

    @app.get("/crash")
    @app.get("/api/crash")
    async def crash() -> None:
        raise RuntimeError("a bug")

    app.router.routes[:0] = [app.router.routes.pop(), app.router.routes.pop()]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/crash", "/api/crash"])
def test_unexpected_errors_carry_the_security_headers(
    crashing_client: TestClient, path: str
) -> None:
    r = crashing_client.get(path)
    assert r.status_code == 500
    assert "a bug" not in r.text and "Traceback" not in r.text
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
    assert r.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/plan.pdf", {"data": {"age": "-3", "medications": "secret-medicine"}}),
        ("/plan", {"data": {"age": "-3", "medications": "secret-medicine"}}),
        ("/api/plan", {"json": {"age": "-3"}}),
        ("/fhir/CarePlan/$generate", {"json": {"resourceType": "Patient", "birthDate": "x"}}),
        ("/cds-services/smanav-patient-view", {"json": {"prefetch": {"patient": {}}}}),
    ],
)
def test_answers_about_a_person_are_never_cached(
    client: TestClient, path: str, kwargs: dict[str, Any]
) -> None:
    """Errors echo what was typed about the person: they are no-store like the plan."""
    r = client.post(path, **kwargs)
    assert r.status_code == 422
    assert r.headers.get("cache-control") == "no-store"


def test_plans_leave_the_knowledge_base_file_unchanged(db_path: Path) -> None:
    """Nothing about a patient is stored: the database files are byte-for-byte the same."""
    import hashlib

    def digest() -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(db_path.parent.iterdir())
        }

    before = digest()
    marker = "zq-private-marker"
    with TestClient(create_app(db_path)) as c:
        form = {"age": "8m", "sma_type": "1", "other_symptoms": marker, "medications": "baclofen"}
        c.post("/plan", data=form)
        c.post("/plan", data={**form, "other_symptoms": ""})
        c.post("/plan.pdf", data={**form, "other_symptoms": ""})
        c.post("/api/plan", json={"age": "8m", "medications": [marker]})
    assert digest() == before
    for p in db_path.parent.iterdir():
        assert marker.encode() not in p.read_bytes()


def test_every_page_title_says_what_the_page_is(client: TestClient) -> None:
    paths = [
        "/",
        "/treatments",
        "/treatments?domain=breathing",
        "/treatments?domain=nutrition",
        "/treatments/nusinersen",
        "/symptoms",
        "/symptoms/drooling",
        "/sources",
        "/search?q=drooling",
        "/ask?q=drooling",
        "/plan",
        "/docs",
    ]
    titles = {}
    for path in paths:
        m = re.search(r"<title>(.*?)</title>", client.get(path).text, re.S)
        assert m, path
        titles[path] = m.group(1)
    assert len(set(titles.values())) == len(titles), titles
    assert "Breathing" in titles["/treatments?domain=breathing"]


def test_cds_cards_never_link_to_a_script_url(hostile_client: TestClient) -> None:
    """An ingested source's url reaches EHR cards only when it is http(s)."""
    from smanav.fhir import cards_from_plan

    kb = hostile_client.app.state.kb.get()  # type: ignore[attr-defined]
    option = {
        "concept": "evil-pill",
        "name": "Evil pill",
        "kind": "drug",
        "status": "to_discuss",
        "cautions": [{"text": "Take care.", "evidence": [{"source": "evil-source"}]}],
    }
    cards = cards_from_plan({"options": [option]}, kb, "http://testserver")
    urls = [c["source"]["url"] for c in cards] + [
        link["url"] for c in cards for link in c.get("links", [])
    ]
    assert all(u.startswith(("http://", "https://")) for u in urls), urls


@pytest.mark.parametrize("path", ["/", "/treatments/nusinersen", "/sources", "/plan"])
def test_pages_answer_head(client: TestClient, path: str) -> None:
    """Link checkers and some assistive tools ask with HEAD before GET."""
    r = client.head(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert not r.content


# --- Safety first and contested statements on pages and in the API (issue 9) -------
def test_treatment_page_puts_safety_first_with_the_inherited_boxed_warning(
    client: TestClient,
) -> None:
    html = client.get("/treatments/diazepam").text
    assert html.index('id="sec-safety"') < html.index('id="sec-what_it_is"')
    safety = text_of(html[html.index('id="sec-safety"') : html.index('id="sec-what_it_is"')])
    assert safety.index("Boxed warning") < safety.index("Must not be used")
    assert "said of Benzodiazepines" in safety and "said of Muscle relaxants" in safety
    assert "US label" in safety


def test_itvisma_page_shows_not_known_never_a_boxed_warning(client: TestClient) -> None:
    html = client.get("/treatments/onasemnogene-abeparvovec-it").text
    assert "tag-boxed" not in html
    page = text_of(html)
    assert "Not known Whether Itvisma carries a boxed warning is not confirmed" in page


def test_api_treatment_has_safety_with_inherited_from(client: TestClient) -> None:
    data = client.get("/api/treatments/valium").json()
    assert data["concept"] == "diazepam"
    assert data["safety"][0]["predicate"] == "boxed_warning"
    assert {st["inherited_from"] for st in data["safety"]} >= {None, "benzodiazepines"}
    assert data == client.get("/treatments/diazepam.json").json() | {"query": "valium"}


def test_contested_statement_page_shows_its_correction(client: TestClient, kb: Any) -> None:
    a = kb.assertions["sma-has-symptom-spasticity"]
    fix = kb.statement(kb.assertions[a.contested_by[0]])
    page = text_of(client.get("/concepts/sma").text)
    at = page.index(kb.statement(a))
    assert "Contested" in page[at - 40 : at]
    assert fix in page[at : at + 2000]
    symptom = text_of(client.get("/symptoms/drooling").text)
    assert "Contested" in symptom and "Read this statement beside its correction" in symptom


# --- issue 11: hostile bodies, faults, paths, privacy, pagination, PDFs off the loop ---
@pytest.mark.parametrize("depth", [65, 1_000, 70_000])
@pytest.mark.parametrize("path", ["/api/plan", "/fhir/CarePlan/$generate", "/api/ask"])
def test_deeply_nested_json_is_422_naming_the_body(
    client: TestClient, depth: int, path: str
) -> None:
    body = b'{"age": ' + b"[" * depth + b"]" * depth + b"}"
    r = client.post(path, content=body, headers=JSON)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["error"]["field"] == "body"
    assert "deeper than 64" in r.json()["error"]["message"]


def test_unclosed_70000_deep_json_is_422(client: TestClient) -> None:
    r = client.post("/cds-services/smanav-patient-view", content=b"[" * 70_000, headers=JSON)
    assert r.status_code == 422 and r.json()["error"]["field"] == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"age": "8m", "symptoms": ["\\ud800"]}', "symptoms[0]"),
        (b'{"age": "\\udfff"}', "age"),
        (b'{"age": "8m", "\\ud800": 1}', "body"),
    ],
)
def test_lone_surrogates_are_422_naming_the_field(
    client: TestClient, body: bytes, field: str
) -> None:
    r = client.post("/api/plan", content=body, headers=JSON)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field
    assert "surrogate" in r.json()["error"]["message"]


def test_a_paired_surrogate_escape_is_ordinary_text(client: TestClient) -> None:
    r = client.post(
        "/api/plan", content=b'{"age": "8m", "medications": ["\\ud83d\\ude00"]}', headers=JSON
    )
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["/api/plan", "/fhir/CarePlan/$generate"])
def test_a_5000_digit_integer_is_422(client: TestClient, path: str) -> None:
    r = client.post(path, content=b'{"age": ' + b"9" * 5000 + b"}", headers=JSON)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "age"
    assert "at most 18 digits" in r.json()["error"]["message"]
    assert len(r.text) < 500


@pytest.mark.parametrize(
    "path",
    ["/api/treatments/..", "/api/symptoms/..", "/api/treatments/%2E%2E", "/api/symptoms/%2E"],
)
def test_path_parameters_are_names_not_paths(client: TestClient, path: str) -> None:
    """The client sends '/api/treatments/..' as '/api': a 404, never a redirect."""
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 404, (r.status_code, r.headers.get("location"))
    assert set(r.json()["error"]) == {"field", "message", "suggestions"}


def test_a_page_with_a_trailing_slash_redirects_but_never_off_site(client: TestClient) -> None:
    r = client.get("/treatments/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/treatments"
    r = client.get("//evil.example/", follow_redirects=False)
    assert r.headers.get("location", "/").startswith("/") and "//" not in r.headers.get(
        "location", ""
    )


def test_a_drug_is_not_a_symptom(client: TestClient) -> None:
    r = client.get("/api/symptoms/spinraza")
    assert r.status_code == 404
    assert "/api/treatments/nusinersen" in r.json()["error"]["message"]
    assert client.get("/api/symptoms/too much saliva").json()["concept"] == "drooling"


@pytest.mark.parametrize(
    "path", ["/ask?q=my+son+is+3", "/search?q=baclofen", "/api/ask?q=my+son", "/api/search?q=x"]
)
def test_questions_and_searches_are_never_cached(client: TestClient, path: str) -> None:
    assert client.get(path).headers.get("cache-control") == "no-store"


def test_sources_are_paginated_with_links_and_a_total(client: TestClient) -> None:
    first = client.get("/api/sources?limit=10").json()
    assert len(first["sources"]) == 10 and first["total"] > 10
    assert first["next"] == "/api/sources?limit=10&offset=10" and first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["previous"] == "/api/sources?limit=10&offset=0"
    assert {s["source"] for s in first["sources"]}.isdisjoint(
        s["source"] for s in second["sources"]
    )
    default = client.get("/api/sources").json()
    assert default["limit"] == 25 and len(default["sources"]) <= 25
    assert client.get("/api/sources?limit=0").status_code == 422
    page = client.get("/sources?limit=5")
    assert page.status_code == 200 and page.text.count('class="source"') == 5


@pytest.fixture
def faulty_app(db_path: Path) -> Any:
    app = create_app(db_path)

    @app.get("/api/fault")
    @app.get("/fault")
    async def fault() -> None:
        raise RuntimeError(f"secret detail in {db_path}")

    app.router.routes[:0] = [app.router.routes.pop(), app.router.routes.pop()]
    return app


@pytest.mark.parametrize("path", ["/api/fault", "/fault"])
def test_a_server_fault_is_500_with_a_request_id_and_no_path(
    faulty_app: Any, path: str, caplog: pytest.LogCaptureFixture, db_path: Path
) -> None:
    with TestClient(faulty_app) as c:  # raise_server_exceptions: nothing escapes the app
        r = c.get(path)
    assert r.status_code == 500
    rid = r.headers["x-request-id"]
    assert rid in r.text
    assert str(db_path) not in r.text and "secret" not in r.text and "Traceback" not in r.text
    if path.startswith("/api/"):
        assert set(r.json()["error"]) == {"field", "message", "suggestions"}
    errors = [rec for rec in caplog.records if rec.levelname == "ERROR"]
    assert len(errors) == 1 and rid in errors[0].getMessage()


def test_a_data_error_is_a_server_fault_not_a_422(db_path: Path, monkeypatch: Any) -> None:
    from smanav.errors import DataError

    app = create_app(db_path)

    def broken() -> None:
        raise DataError(
            "/usr/lib/python3/site-packages/smanav/data/sources.yaml", None, None, "is missing"
        )

    monkeypatch.setattr(app.state.kb, "get", broken)
    with TestClient(app) as c:
        r = c.get("/api/search?q=drooling")
    assert r.status_code == 500
    assert "site-packages" not in r.text and r.headers["x-request-id"] in r.text


def test_a_missing_error_template_falls_back_to_a_plain_page(
    db_path: Path, monkeypatch: Any
) -> None:
    import jinja2

    from smanav.web import templating

    app = create_app(db_path)
    env = templating._env()
    monkeypatch.setattr(env, "loader", jinja2.DictLoader({}))
    env.cache = None  # the templates already compiled would hide the missing file
    with TestClient(app) as c:
        r = c.get("/treatments/nusinersen")
        missing = c.get("/no/such/page")
    assert r.status_code == 500 and "There is a problem" in r.text
    assert "TemplateNotFound" not in r.text and r.headers["x-request-id"] in r.text
    assert missing.status_code == 404 and "There is no page at /no/such/page" in missing.text


def test_openapi_describes_responses_with_the_error_shape(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(doc)
    components = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            # Every answer is described: a model with its required keys, not an empty {}.
            [media] = op["responses"]["200"]["content"].values()
            ref = media["schema"]["$ref"]
            model = components[ref.removeprefix("#/components/schemas/")]
            assert model["type"] == "object" and model["required"], (method, path)
            assert set(model["required"]) <= set(model["properties"]), (method, path)
            for code in ("422", "500"):
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    generate = doc["paths"]["/fhir/CarePlan/$generate"]["post"]
    assert "application/fhir+json" in generate["responses"]["200"]["content"]
    assert "application/fhir+json" in generate["requestBody"]["content"]
    assert "400" in generate["responses"] and "413" in generate["responses"]
    plan = doc["paths"]["/api/plan"]["post"]["requestBody"]["content"]["application/json"]
    assert {"required": ["age"]} in plan["schema"]["anyOf"]
    [domain] = doc["paths"]["/api/treatments"]["get"]["parameters"]
    assert "breathing" in domain["schema"]["anyOf"][0]["enum"]


def test_a_pdf_renders_in_a_worker_while_search_answers(db_path: Path) -> None:
    """The event loop stays free while WeasyPrint works; the worker is replaced."""
    import asyncio
    import os
    import time

    import httpx
    import weasyprint  # noqa: F401  a test dependency (pdf extra): fail, never skip

    from smanav.web.pdfpool import PdfPool

    app = create_app(db_path)
    app.state.pdf = PdfPool(workers=1, max_tasks=1)
    form = {"age": "30m", "sma_type": "2", "functional_status": "sitter"}

    async def scenario() -> tuple[float, float, int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            started = time.monotonic()
            pdf_task = asyncio.create_task(c.post("/plan.pdf", data=form))
            await asyncio.sleep(0.05)
            r = await c.get("/api/search", params={"q": "drooling"})
            assert r.status_code == 200
            searched = time.monotonic() - started
            pdf = await pdf_task
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            rendered = time.monotonic() - started
        first = await app.state.pdf.run(os.getpid)
        second = await app.state.pdf.run(os.getpid)
        return searched, rendered, first, second

    try:
        searched, rendered, first, second = asyncio.run(scenario())
    finally:
        app.state.pdf.shutdown()
    assert searched < rendered, "search answered before the PDF was done"
    assert first != second != os.getpid(), "a worker serves max_tasks PDFs, then is replaced"


def test_serve_on_a_busy_port_says_so_and_exits_2(cli: Any) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.code == 2
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert "Errno" not in result.stderr


def test_serve_on_a_bad_host_name_says_so_and_exits_2(cli: Any) -> None:
    result = cli("serve", "--host", "no-such-host.invalid", "--port", "8")
    assert result.code == 2 and "--host" in result.stderr


def _web_imports() -> dict[str, set[str]]:
    """Which smanav.web modules each smanav.web module imports (at any depth in it)."""
    import ast

    root = Path(__file__).resolve().parents[1] / "src"
    graph: dict[str, set[str]] = {}
    for path in sorted((root / "smanav" / "web").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        package = parts[:-1]
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join([*base, *(node.module or "").split(".")]).strip(".")
                found.update([target] + [f"{target}.{a.name}" for a in node.names])
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m.startswith("smanav.web")} - {name}
    # ``from . import ehr`` names the module ehr; a package's own ancestors always load first.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if d in graph and not name.startswith(d + ".")}
    return graph


def test_the_web_package_has_no_import_cycle() -> None:
    """Routers import deps, errors and templating; only the factory imports the routers."""
    from graphlib import TopologicalSorter

    graph = _web_imports()
    TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle
    assert "smanav.web.app" in graph["smanav.web"]
    importers = sorted(m for m, deps in graph.items() if "smanav.web.app" in deps)
    assert importers == ["smanav.web"]
    assert graph["smanav.web.routers.api"] >= {"smanav.web.deps"}


def test_every_wizard_choice_is_a_value_the_profile_accepts(kb: Any) -> None:
    """The wizard's choices are data (data/wizard_choices.yaml): each value must be one
    parse_profile takes, so no option on the form can end in an error."""
    from smanav.plan import parse_profile
    from smanav.web.wizard import blank_form

    choices = blank_form(kb)["choices"]
    fields = ["functional_status", "sma_type", "breathing_support", "feeding", "pregnancy"]
    for field in [*fields, "region"]:
        assert choices[field], field
        for c in choices[field]:
            assert c["label"].strip(), (field, c)
            if c["value"]:
                parse_profile({"age_months": 360, field: c["value"]}, kb)
