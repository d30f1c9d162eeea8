"""Replay recorded Shopify conformance scenarios against the simulator.

ROOT is laid out like the captured set (config/parity-specs/<area>/*.json,
config/parity-requests/, fixtures/). For every scenario: a fresh simulator
shop is seeded from the capture (shopify_sim.conformance.seed), the
scenario's documents are replayed with the captured variables through the
simulator's real GraphQL endpoint, and each target is compared strictly with
what Shopify answered (shopify_sim.conformance.compare). Requested and actual
query costs are compared with the recorded `extensions.cost` too. Sources the
documents name are downloaded from one stand-in internet with one documented
rule (shopify_sim.conformance.internet), never per scenario.

Besides GraphQL requests a scenario may take two HTTP steps, done as an app
does them against the simulator: `proxyUpload` uploads bytes to a staged
target (a POST form of the target's parameters and the file, or a PUT of the
bytes) and `proxyHttpRequest` fetches a URL the simulator answered (a bulk
operation's result file); a fetched body is compared as JSON when it parses as
JSON, as its JSONL records when the target says `jsonlRecords`, else as text.

A scenario that cannot be replayed (its files are missing, it compares a
count the capture cannot seed) is reported with the reason and counted, never
silently skipped. Requests are replayed at the API version they were
recorded on (the request's `apiVersion`, else the capture's), so behaviour
Shopify documents as version-dependent (shopify_sim.versions) follows it.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from . import compare, jsonpath, selection
from .internet import Internet
from .seed import Seeder, created_ids, written_ids

CLIENT_ID = "conformance-runner"
SHOP_DOMAIN = "conformance.myshopify.com"
# The recording app's grants, as its captured reads and writes show them
# (markets, locations, customers and orders were read or written there).
SCOPES = ["write_products", "write_files", "write_themes", "write_images", "write_metaobjects",
          "write_metaobject_definitions", "write_content", "write_online_store_pages", "write_inventory",
          "write_publications", "read_products", "read_files", "write_markets", "read_locations",
          "write_customers", "write_orders", "write_draft_orders"]
# Areas the runner does not replay (none: bulk operations are in scope).
SKIPPED_AREAS: dict[str, str] = {}


class NotReplayable(Exception):
    """The scenario needs something the runner cannot do; the reason is reported."""


@dataclass
class CostPair:
    scenario: str
    request: str
    captured_requested: Optional[int]
    captured_actual: Optional[int]
    replayed_requested: Optional[int]
    replayed_actual: Optional[int]


@dataclass
class Result:
    area: str
    scenario: str
    status: str  # "passed", "failed", "not-replayed"
    details: list[str] = field(default_factory=list)
    costs: list[CostPair] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.area}/{self.scenario}"


@dataclass
class Report:
    results: list[Result]

    def by_status(self, status: str) -> list[Result]:
        return [r for r in self.results if r.status == status]

    @property
    def costs(self) -> list[CostPair]:
        return [c for r in self.results for c in r.costs]

    def cost_summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind in ("requested", "actual"):
            pairs = [(getattr(c, f"captured_{kind}"), getattr(c, f"replayed_{kind}")) for c in self.costs]
            pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
            out[kind] = {"exact": sum(1 for a, b in pairs if a == b), "total": len(pairs),
                         "max_difference": max((abs(a - b) for a, b in pairs), default=0)}
        return out


# -- loading -------------------------------------------------------------------
def scenario_paths(root: str) -> list[str]:
    base = os.path.join(root, "config", "parity-specs")
    out = []
    for dirpath, _, files in os.walk(base):
        out.extend(os.path.join(dirpath, f) for f in files if f.endswith(".json"))
    return sorted(out)


def _area(root: str, path: str) -> str:
    rel = os.path.relpath(path, os.path.join(root, "config", "parity-specs"))
    return rel.split(os.sep, 1)[0]


def _read_json(root: str, rel: str) -> Any:
    with open(os.path.join(root, rel), encoding="utf-8") as fh:
        return json.load(fh)


def _read_text(root: str, rel: str) -> str:
    with open(os.path.join(root, rel), encoding="utf-8") as fh:
        return fh.read()


# -- the simulator side -----------------------------------------------------------
class StepClock:
    """Simulated time: starts at the latest moment the capture records (its
    `capturedAt` or a later `createdAt`/`updatedAt`/`completedAt` it shows,
    or a time a cursor carries to the microsecond; the real time when it
    shows none), moves REQUEST_STEP per request. A
    replay then happens when Shopify answered, never before what the
    capture shows: what it creates gets the times Shopify gave, and what
    the capture shows (bulk operation results, seven days valid) is as
    current as it was."""
    REQUEST_STEP = 0.05

    def __init__(self, start: Optional[float] = None) -> None:
        import time
        self.now = float(int(time.time())) if start is None else float(start)

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.REQUEST_STEP


class Replay:
    """One scenario's simulator: app, shop, token, and the responses so far."""

    def __init__(self, root: str, spec: dict[str, Any], capture: dict[str, Any], exclude: list[tuple],
                 created: set[str], fetch_origins: Optional[dict[str, str]] = None,
                 written: frozenset[str] = frozenset(), reads_after: Optional[list[Any]] = None,
                 touched: Optional[set[str]] = None) -> None:
        from .. import create_app
        from ..state import App, Shop
        from ..catalog import Catalog
        from ..resolvers.views import shop_id
        from ..catalog import gid

        self.root, self.spec, self.capture = root, spec, capture
        self.api_version = recorded_version(spec, capture)
        # A clock that moves a fixed step per request keeps replays
        # deterministic: each request sees the previous one's effects as
        # "just now", as the captures recorded them.
        self.clock = StepClock(_captured_at(capture))
        # Processing takes seconds at Shopify (media-file-interface-fields:
        # created 17:46:19, READY 17:46:21; product-variant-media-validation:
        # media still processing a dozen requests after its creation): 5 s of
        # simulated time is 100 replayed requests. Captures that read
        # finished media are replayed after WAIT_FOR_PROCESSING.
        # Sources are downloaded from the stand-in internet (internet.py).
        self.fetch_origins = fetch_origins or {}
        self.app = create_app({"TESTING": True, "SIM_WEBHOOK_THREAD": False, "SIM_PROCESSING_DELAY": PROCESSING_DELAY,
                               "SIM_CLOCK": self.clock, "SIM_FETCH_ORIGINS": self.fetch_origins})
        state = self.app.extensions["sim_state"]
        sim_app = App(client_id=CLIENT_ID, client_secret="conformance", application_url="https://example.com",
                      scopes=list(SCOPES))
        api_client_id = _api_client_id(spec, capture)
        if api_client_id:
            sim_app.api_client_id = api_client_id  # the captured app's `app--<id>` namespace
        state.apps[CLIENT_ID] = sim_app
        domain = capture.get("storeDomain") if isinstance(capture.get("storeDomain"), str) else \
            _store_of(spec) or SHOP_DOMAIN
        self.domain = domain
        shop = Shop(domain=domain, name="Conformance", catalog=Catalog())
        shop.installed_apps.add(CLIENT_ID)
        currency = _shop_currency(capture)
        if currency:
            shop.currency = currency
        # The captured store's own id: its Shop gid appears in answers
        # (metafield owners, shop { id }) and is the store's, not derived.
        shop.id = _captured_shop_id(capture)
        state.shops[domain] = shop
        self.token = state.issue_token(domain, CLIENT_ID, list(SCOPES), expiring=False).token
        # The recording's delegate token without product write access
        # (header x-shopify-draft-proxy-manage-products: false).
        self.token_without_write_products = state.issue_token(
            domain, CLIENT_ID, [s for s in SCOPES if s != "write_products"], expiring=False).token
        self.client = self.app.test_client()
        seeder = Seeder(shop.catalog, now=self.clock.now, shop_gid=gid("Shop", shop_id(shop)), client_id=CLIENT_ID)
        seeder.seed(capture, exclude=exclude, created=created, written=written)
        seeder.seed_reads(reads_after, touched | set(created) | set(written))
        self.written = written
        self.reads_after, self.touched = reads_after or [], touched or set()
        # Ids Shopify generated for what the replay creates: what the
        # replayed mutations create, and what they write that the store did
        # not hold before.
        self.generated = frozenset(i for i in created if "://" in i) | frozenset(
            i for i in written if i.split("gid://shopify/", 1)[-1] not in seeder.seeded)
        self.created = created
        self.exclude = exclude
        seeder.finish()
        self.responses: dict[str, Any] = {}
        self.primary: Optional[dict[str, Any]] = None
        self.previous: Optional[dict[str, Any]] = None  # the last GraphQL answer
        # Captured gid → the simulator's gid for objects the replay created:
        # later requests name what Shopify created, the replay uses its own.
        self.id_map: dict[str, str] = {}
        # The captured store's Shop is the simulator's shop.
        for captured_shop in seeder.captured_shop_gids:
            self.id_map.setdefault(captured_shop, gid("Shop", shop_id(shop)))

    def execute(self, document: str, variables: dict[str, Any], headers: Optional[dict[str, str]] = None,
                api_version: Optional[str] = None) -> dict:
        from ..schema import API_VERSION
        self.clock.tick()
        variables = _remap(variables, self.id_map)
        manage_products = str((headers or {}).get("x-shopify-draft-proxy-manage-products", "true")).lower()
        token = self.token_without_write_products if manage_products == "false" else self.token
        sent = {"X-Shopify-Access-Token": token}
        version = api_version or self.api_version or API_VERSION
        response = self.client.post(f"/{self.domain}/admin/api/{version}/graphql.json",
                                    json={"query": document, "variables": variables}, headers=sent)
        body = response.get_json(silent=True)
        if not isinstance(body, dict):
            raise AssertionError(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:200]}")
        self.previous = body
        return body

    def fetch(self, url: str, method: str = "GET", jsonl_records: bool = False) -> dict[str, Any]:
        """An HTTP request to a URL the simulator gave out, answered as
        `{status, headers (lower-case names), body}`."""
        response = self.client.open(_local_path(url), method=method)
        text = response.get_data(as_text=True)
        body: Any = text
        if jsonl_records:
            try:
                body = [json.loads(line) for line in text.splitlines() if line.strip()]
            except ValueError:
                pass  # not JSONL: compared as the text it is
        else:
            try:
                body = json.loads(text)
            except ValueError:
                pass
        return {"status": response.status_code, "headers": {k.lower(): v for k, v in response.headers.items()},
                "body": body}

    def upload(self, resource_url: str, method: str, data: bytes) -> int:
        """Upload to a staged target the way a client does: POST a form of the
        target's parameters then the file, or PUT the bytes (the target's
        `content_type` parameter as Content-Type). The target is found among
        the staged targets the simulator answered so far."""
        target = _staged_target(self.responses.values(), resource_url) or {"url": resource_url, "parameters": []}
        url = target.get("url") or resource_url
        parameters = {p["name"]: p["value"] for p in target.get("parameters") or ()}
        if method.upper() == "POST":
            import io
            form: dict[str, Any] = dict(parameters)
            form["file"] = (io.BytesIO(data), parameters.get("key", "upload").rsplit("/", 1)[-1])
            response = self.client.post(_local_path(url), data=form, content_type="multipart/form-data")
        else:
            response = self.client.put(_local_path(url), data=data,
                                       headers={"Content-Type": parameters.get("content_type",
                                                                               "application/octet-stream")})
        return response.status_code


def _local_path(url: str) -> str:
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _staged_target(responses: Any, resource_url: str) -> Optional[dict[str, Any]]:
    for body in responses:
        targets = ((body or {}).get("data") or {}).get("stagedUploadsCreate", {}) or {}
        for target in targets.get("stagedTargets") or ():
            if isinstance(target, dict) and target.get("resourceUrl") == resource_url:
                return target
    return None


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


def _needs_unrecorded_products(capture: Any, targets: list[dict[str, Any]]) -> None:
    """A compared product count larger than the products the whole capture
    shows means the store held products nobody recorded (searches over a
    13,552-product store): no seeding can reproduce its counts and pages."""
    known = len(set(re.findall(r"gid://shopify/Product/(\d+)", json.dumps(capture))))
    for target in targets:
        expected = jsonpath.get(capture, target["capturePath"], None)
        counts = list(_product_counts(expected))
        if counts and max(counts) > known:
            raise NotReplayable(f"target {target['name']!r} counts {max(counts)} products; the capture shows "
                                f"only {known} of the store's products, so its counts and pages cannot be seeded")


def _product_counts(value: Any) -> list[int]:
    """`productsCount`-style answers ({count, precision}) inside a value."""
    out: list[int] = []
    if isinstance(value, dict):
        if set(value) == {"count", "precision"} and isinstance(value["count"], int):
            out.append(value["count"])
        for v in value.values():
            out.extend(_product_counts(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_product_counts(v))
    return out


def _answer_root(steps: list) -> tuple:
    """The path of the whole answer a capture path points into (up to its `data`)."""
    for n, step in enumerate(steps):
        if step == "data":
            return tuple(steps[: n + 1])
    return tuple(steps)


def _api_client_id(spec: dict[str, Any], capture: dict[str, Any]) -> Optional[str]:
    for target in spec["comparison"]["targets"]:
        headers = (target.get("proxyRequest") or {}).get("headers") or {}
        if headers.get("x-shopify-draft-proxy-api-client-id"):
            return str(headers["x-shopify-draft-proxy-api-client-id"])
    match = re.search(r"app--(\d+)", json.dumps(capture))
    return match.group(1) if match else None


_MOMENT_KEYS = ("capturedAt", "createdAt", "updatedAt", "completedAt")


def _captured_at(capture: Any) -> Optional[float]:
    """The latest moment the capture records (StepClock)."""
    from datetime import datetime
    text = json.dumps(capture)
    moments = []
    for value in re.findall(r'"(?:%s)": "([0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]+)"' % "|".join(_MOMENT_KEYS), text):
        try:
            moments.append(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            continue
    from .seed import _cursor_time
    for cursor in re.findall(r'"(?:cursor|startCursor|endCursor)": "([A-Za-z0-9+/=]+)"', text):
        moment = _cursor_time(cursor)
        if moment is not None:
            moments.append(moment)
    return max(moments) if moments else None


def _store_of(spec: dict[str, Any]) -> Optional[str]:
    """The store a capture was recorded on, as its file's folder names it."""
    for path in spec.get("liveCaptureFiles") or ():
        match = re.search(r"/([a-z0-9-]+\.myshopify\.com)/", path)
        if match:
            return match.group(1)
    return None


def recorded_version(spec: dict[str, Any], capture: Any) -> Optional[str]:
    """The API version the capture was recorded on: its `apiVersion`, else
    the version folder of its file (fixtures/conformance/<store>/<version>/…)."""
    if isinstance(capture, dict) and isinstance(capture.get("apiVersion"), str):
        return capture["apiVersion"]
    for path in spec.get("liveCaptureFiles") or ():
        match = re.search(r"/(\d{4}-\d{2})/", path)
        if match:
            return match.group(1)
    return None


def _captured_shop_id(capture: Any) -> Optional[int]:
    """The store's id: its Shop gid, else the number its CDN paths spell
    (`/s/files/1/0928/9125/0994/` is shop 92891250994: processing.cdn_url)."""
    import collections
    text = json.dumps(capture)
    found = collections.Counter(re.findall(r"gid://shopify/Shop/(\d+)", text))
    if not found:
        found = collections.Counter("".join(m) for m in re.findall(
            r"cdn\.shopify\.com/s/files/1/(\d{4})/(\d{4})/(\d{4})/", text))
    return int(found.most_common(1)[0][0]) if found else None


def _shop_currency(capture: Any) -> Optional[str]:
    match = re.search(r'"currencyCode":\s*"([A-Z]{3})"', json.dumps(capture))
    return match.group(1) if match else None


# -- running one scenario ------------------------------------------------------------
def _document(root: str, capture: Any, request: dict[str, Any]) -> str:
    if request.get("documentPath"):
        return _read_text(root, request["documentPath"])
    if request.get("documentCapturePath"):
        doc = jsonpath.get(capture, request["documentCapturePath"])
        if isinstance(doc, str):
            return doc
    raise NotReplayable("request without a GraphQL document")


def _resolve(value: Any, replay: Replay) -> Any:
    if isinstance(value, dict):
        if "fromPrimaryProxyPath" in value:
            return jsonpath.get(replay.primary or {}, value["fromPrimaryProxyPath"], None)
        if "fromProxyResponse" in value:
            source = replay.responses.get(value["fromProxyResponse"])
            return jsonpath.get(source or {}, value["path"], None)
        if "fromCapturePath" in value:
            return jsonpath.get(replay.capture, value["fromCapturePath"], None)
        if "fromPreviousProxyPath" in value:
            return jsonpath.get(replay.previous or {}, value["fromPreviousProxyPath"], None)
        return {k: _resolve(v, replay) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, replay) for v in value]
    return value


def _variables(root: str, replay: Replay, request: dict[str, Any]) -> dict[str, Any]:
    if "variables" in request:
        return _resolve(request["variables"], replay) or {}
    if request.get("variablesCapturePath"):
        found = jsonpath.get(replay.capture, request["variablesCapturePath"], None)
        return found if isinstance(found, dict) else {}
    if request.get("variablesPath"):
        return _read_json(root, request["variablesPath"])
    return {}


def _raw_variables(root: str, capture: Any, request: dict[str, Any]) -> Any:
    """A request's variables as recorded, before any replayed answer fills them in."""
    if "variables" in request:
        return request["variables"]
    if request.get("variablesCapturePath"):
        return jsonpath.get(capture, request["variablesCapturePath"], None)
    if request.get("variablesPath"):
        return _read_json(root, request["variablesPath"])
    return None


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


def _normal(document: str) -> str:
    return " ".join(re.sub(r"#[^\n]*", "", document).split())


def _captured_document(capture: Any, capture_path: str) -> Optional[str]:
    """The document recorded next to the response a capture path points into, if any."""
    steps = jsonpath.parse(capture_path)
    for n in range(len(steps), -1, -1):
        node = jsonpath.get(capture, "$" + "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']"
                                                    for s in steps[:n]), None)
        if isinstance(node, dict):
            for holder in (node, node.get("request")):
                if isinstance(holder, dict) and isinstance(holder.get("query"), str) and "{" in holder["query"]:
                    return holder["query"]
    return None


def _captured_cost(capture: Any, capture_path: str) -> Optional[dict[str, Any]]:
    """The recorded `extensions.cost` of the response a capture path points into."""
    steps = jsonpath.parse(capture_path)
    for n in range(len(steps), -1, -1):
        node: Any = capture
        ok = True
        for step in steps[:n]:
            if isinstance(step, int) and isinstance(node, list) and step < len(node):
                node = node[step]
            elif isinstance(step, str) and isinstance(node, dict) and step in node:
                node = node[step]
            else:
                ok = False
                break
        if ok and isinstance(node, dict) and isinstance(node.get("extensions"), dict) \
                and isinstance(node["extensions"].get("cost"), dict):
            return node["extensions"]["cost"]
    return None


def _is_mutation(document: str) -> bool:
    text = re.sub(r"#[^\n]*", "", document)
    return re.match(r"\s*mutation\b", text) is not None


def run_scenario(root: str, spec_path: str, internet: Optional[Internet] = None) -> Result:
    """Replay one scenario; its sources are fetched from `internet` (one is
    started for the call when none is given)."""
    if internet is None:
        with Internet() as own:
            return run_scenario(root, spec_path, own)
    area = _area(root, spec_path)
    spec = _read_json(root, os.path.relpath(spec_path, root))
    result = Result(area, spec.get("scenarioId") or os.path.basename(spec_path)[:-5], "failed")
    try:
        _run(root, spec, result, internet.fetch_origins)
    except NotReplayable as exc:
        result.status = "not-replayed"
        result.details = [str(exc)]
    except Exception as exc:  # a crash in the simulator is a failure, with its cause
        result.status = "failed"
        result.details.append(f"error: {type(exc).__name__}: {exc}")
    return result


@dataclass
class _Scenario:
    """One scenario being replayed: what it names and what it has done so far."""
    root: str
    spec: dict[str, Any]
    capture: Any
    result: Result
    replay: Optional["Replay"] = None
    primary_body: Optional[dict[str, Any]] = None
    primary_pair: Optional[CostPair] = None
    failures: list[str] = field(default_factory=list)
    reads_after: list[Any] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)

    @property
    def comparison(self) -> dict[str, Any]:
        return self.spec["comparison"]

    @property
    def targets(self) -> list[dict[str, Any]]:
        return self.comparison["targets"]

    @property
    def primary_request(self) -> Optional[dict[str, Any]]:
        return self.spec.get("proxyRequest")

    def compare(self, target: dict[str, Any], body: dict[str, Any], sent: Optional[str]) -> None:
        assert self.replay is not None
        self.failures.extend(_compare_target(self.capture, target, body, self.comparison.get("expectedDifferences")
                                             or [], self.comparison.get("excludedPaths") or [], sent, self.replay))


def _load(root: str, spec: dict[str, Any], result: Result) -> _Scenario:
    """The scenario's capture, or why it cannot be replayed."""
    if result.area in SKIPPED_AREAS:
        raise NotReplayable(SKIPPED_AREAS[result.area])
    if spec.get("scenarioStatus") != "captured":
        raise NotReplayable(f"scenario status {spec.get('scenarioStatus')!r}")
    if spec["comparison"].get("mode") != "strict-json":
        raise NotReplayable(f"comparison mode {spec['comparison'].get('mode')!r}")
    files = spec.get("liveCaptureFiles") or []
    if not files or not os.path.exists(os.path.join(root, files[0])):
        raise NotReplayable(f"capture file missing: {files[:1]}")
    scenario = _Scenario(root, spec, _read_json(root, files[0]), result)
    for target in scenario.targets:
        if target.get("proxyPath") is None and "selectedPaths" not in target and "proxyUpload" not in target:
            raise NotReplayable(f"target {target['name']!r} has no proxyPath")
    return scenario


def _not_seeded(scenario: _Scenario) -> tuple[list[tuple], set[str], frozenset[str]]:
    """What the seeding leaves out: the subtrees of the captured answers the
    replay recomputes (when it writes), and the objects it creates."""
    root, capture, targets, primary_request = scenario.root, scenario.capture, scenario.targets, \
        scenario.primary_request
    documents = [_document(root, capture, r) for r in
                 [primary_request] + [t["proxyRequest"] for t in targets if t.get("proxyRequest")] if r]
    # The captured responses the targets compare are the effect of replaying
    # their documents: when any document writes, those are not seeded.
    writes = any(_is_mutation(d) for d in documents)
    exclude = [tuple(s for s in jsonpath.parse(t["capturePath"])) for t in targets] if writes else []
    # Seeding the whole subtree a target lives under (e.g. `$.mutation`), not
    # just its data, keeps the mutation's own payload out of the store.
    exclude += [path[:1] for path in exclude if path]
    created: set[str] = set()
    for target in targets:
        value = jsonpath.get(capture, target["capturePath"], None)
        last = jsonpath.parse(target["capturePath"])[-1:]
        # The payload a target names is read under its mutation's name
        # (`…bulkOperationRunQuery` → the operation it created).
        created |= created_ids({last[0]: value} if last and isinstance(last[0], str) else value)
        if not target.get("proxyRequest"):
            # The primary request is replayed whole: all its answer created
            # (not only the targeted part) must not be seeded.
            created |= created_ids(_at(capture, _answer_root(jsonpath.parse(target["capturePath"]))))
    if primary_request:
        # A definition created without its id selected is known by key; its
        # namespace is one the primary request names.
        names = [v for v in _string_values(_raw_variables(root, capture, primary_request))
                 if re.fullmatch(r"[\w-]+", v)]
        for marker in [m for m in created if m.startswith("MetafieldDefinition?*/")]:
            created |= {marker.replace("?*/", f"?{name}/", 1) for name in names}
    # What the replayed mutations write (metafieldsSet creates or updates):
    # the recording proxy's later reads of the live store are no evidence
    # that it existed before them.
    written: set[str] = set()
    for target in targets if writes else ():
        value = jsonpath.get(capture, target["capturePath"], None)
        last = jsonpath.parse(target["capturePath"])[-1:]
        written |= written_ids({last[0]: value} if last and isinstance(last[0], str) else value)
    scenario.reads_after, scenario.touched = _reads_after(scenario) if writes else ([], set())
    return exclude, created, frozenset(written)


def _reads_after(scenario: _Scenario) -> tuple[list[Any], set[str]]:
    """The captured answers of the reads the replay compares, and every gid
    the replayed mutations' captured answers show. What such a read shows
    that no mutation answer shows was neither created, written nor deleted
    by the replay: it existed before, as shown (Seeder.seed_reads)."""
    reads: list[Any] = []
    touched: set[str] = set()
    deleted: list[dict[str, str]] = []
    keys_written: set[tuple[str, str]] = set()
    for target in scenario.targets:
        request = target.get("proxyRequest") or scenario.primary_request
        if not request:
            continue
        value = jsonpath.get(scenario.capture, target["capturePath"], None)
        if _is_mutation(_document(scenario.root, scenario.capture, request)):
            text = json.dumps(value)
            touched |= set(re.findall(r'"id": "(gid://shopify/[A-Za-z0-9]+/[A-Za-z0-9-]+)"', text))
            keys_written |= set(re.findall(r'"namespace": "([^"]+)", "key": "([^"]+)"', text))
            deleted.extend(_deleted_metafields(value))
        else:
            reads.append(value)
    # What a replayed delete's answer names as deleted existed before it,
    # unless another replayed mutation wrote it first.
    reads.extend({"deletedMetafield": d} for d in deleted if (d["namespace"], d["key"]) not in keys_written)
    return reads, touched


def _deleted_metafields(value: Any) -> list[dict[str, str]]:
    """The identifiers a captured metafieldsDelete answer lists as deleted."""
    out: list[dict[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "deletedMetafields" and isinstance(item, list):
                out.extend(d for d in item if isinstance(d, dict) and all(
                    isinstance(d.get(k), str) for k in ("ownerId", "namespace", "key")))
            else:
                out.extend(_deleted_metafields(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(_deleted_metafields(item))
    return out


def _run(root: str, spec: dict[str, Any], result: Result, fetch_origins: dict[str, str]) -> None:
    scenario = _load(root, spec, result)
    exclude, created, written = _not_seeded(scenario)
    _needs_unrecorded_products(scenario.capture, scenario.targets)
    scenario.replay = Replay(root, spec, scenario.capture, exclude, created, fetch_origins, written,
                             scenario.reads_after, scenario.touched)
    if scenario.primary_request:
        request = scenario.primary_request
        scenario.primary_body = scenario.replay.execute(_document(root, scenario.capture, request),
                                                        _variables(root, scenario.replay, request),
                                                        request.get("headers"), request.get("apiVersion"))
        scenario.replay.primary = scenario.primary_body
    for target in scenario.targets:
        if target.get("isolatedProxy"):
            scenario.replay = _fresh(root, spec, scenario.capture, exclude, scenario.replay)
        if "proxyUpload" in target:
            _upload_step(scenario, target)
        elif "proxyHttpRequest" in target:
            _http_step(scenario, target)
        else:
            _graphql_step(scenario, target)
    result.status = "failed" if scenario.failures else "passed"
    result.details = scenario.failures


def _upload_step(scenario: _Scenario, target: dict[str, Any]) -> None:
    """An upload to a staged target: an action, checked only to succeed."""
    assert scenario.replay is not None
    step = target["proxyUpload"]
    body = _resolve(step.get("body"), scenario.replay)
    status = scenario.replay.upload(str(_resolve(step["path"], scenario.replay)), step.get("method", "PUT"),
                                    (body or "").encode("utf-8") if isinstance(body, str) else b"")
    if not 200 <= status < 300:
        scenario.failures.append(f"{target['name']}: the upload answered HTTP {status}")


def _http_step(scenario: _Scenario, target: dict[str, Any]) -> None:
    assert scenario.replay is not None
    step = target["proxyHttpRequest"]
    fetched = scenario.replay.fetch(str(_resolve(step["path"], scenario.replay)), step.get("method", "GET"),
                                    bool(target.get("jsonlRecords")))
    scenario.replay.responses[target["name"]] = fetched
    scenario.compare(target, fetched, None)


def _graphql_step(scenario: _Scenario, target: dict[str, Any]) -> None:
    replay, capture, root = scenario.replay, scenario.capture, scenario.root
    assert replay is not None
    request = target.get("proxyRequest")
    if request and _waited_for_processing(jsonpath.get(capture, target["capturePath"], None)):
        # The capture polled until media were processed; wait as it did.
        replay.clock.now += WAIT_FOR_PROCESSING
    if request:
        variables = _variables(root, replay, request)
        if "variables" in request:
            variables = _as_sent_to_shopify(request["variables"], variables, capture, target["capturePath"])
        body = replay.execute(_document(root, capture, request), variables,
                              request.get("headers"), request.get("apiVersion"))
    else:
        if scenario.primary_body is None:
            raise NotReplayable(f"target {target['name']!r} has no request to replay")
        body = scenario.primary_body
    replay.responses[target["name"]] = body
    sent = _document(root, capture, request or scenario.primary_request) \
        if (request or scenario.primary_request) else ""
    _record_cost(scenario, target, body, sent, primary=not request)
    scenario.compare(target, body, sent)


def _record_cost(scenario: _Scenario, target: dict[str, Any], body: dict[str, Any], sent: str,
                 primary: bool) -> None:
    """Pair Shopify's recorded cost with the replay's when both priced the same document."""
    capture = scenario.capture
    cost = _captured_cost(capture, target["capturePath"])
    recorded_document = _captured_document(capture, target["capturePath"])
    if recorded_document is not None and _normal(recorded_document) != _normal(sent):
        cost = None  # Shopify priced another document; nothing to compare
    answer_root = _answer_root(jsonpath.parse(target["capturePath"]))
    if cost is not None and sent and answer_root[-1:] == ("data",) \
            and not selection.answers_document(_at(capture, answer_root), sent):
        cost = None  # the recorded answer has fields this document does not select, or lacks some it does
    if cost is None or (primary and scenario.primary_pair is not None):
        return
    replayed = (body.get("extensions") or {}).get("cost") or {}
    pair = CostPair(scenario.result.name, target["name"], cost.get("requestedQueryCost"),
                    cost.get("actualQueryCost"), replayed.get("requestedQueryCost"), replayed.get("actualQueryCost"))
    scenario.result.costs.append(pair)
    if primary:
        scenario.primary_pair = pair


def _compare_target(capture: Any, target: dict[str, Any], body: dict[str, Any], global_rules: list,
                    global_excluded: list, sent: Optional[str], replay: Replay) -> list[str]:
    """What differs between the captured value a target names and the replayed one."""
    expected = jsonpath.get(capture, target["capturePath"])
    if expected is jsonpath.MISSING:
        raise NotReplayable(f"target {target['name']!r}: capture has nothing at {target['capturePath']}")
    if sent and target.get("proxyPath"):
        # Shopify's answer to the replayed document: what it selects.
        expected = selection.project(expected, sent, target["proxyPath"])
    if target.get("jsonlRecords") and isinstance(expected, str):
        # The captured file body, read as the replayed one is: its records.
        expected = [json.loads(line) for line in expected.splitlines() if line.strip()]
    actual = jsonpath.get(body, target["proxyPath"]) if target.get("proxyPath") else body
    _learn_ids(expected, actual, replay.id_map)
    rules = compare.rules_from(global_rules + (target.get("expectedDifferences") or []),
                               global_excluded + (target.get("excludedPaths") or []))
    if target.get("selectedPaths"):
        expected = jsonpath.prune(expected, target["selectedPaths"])
        actual = jsonpath.prune(actual, target["selectedPaths"]) if actual is not jsonpath.MISSING else actual
    generated = replay.generated
    differences = compare.diff(expected, actual, rules, generated=generated)
    if not differences:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and actual in (None, jsonpath.MISSING):
        differences.append(f"replay errors: {json.dumps(errors)[:300]}")
    return [f"{target['name']}: " + "; ".join(differences[:4])]


_GID_RE = re.compile(r"gid://shopify/([A-Za-z0-9]+)/[A-Za-z0-9-]+")


def _learn_ids(expected: Any, actual: Any, id_map: dict[str, str]) -> None:
    """Pair captured and replayed ids found at the same place in an answer."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            other = actual.get(key)
            if isinstance(value, str) and isinstance(other, str) and value != other:
                a, b = _GID_RE.fullmatch(value), _GID_RE.fullmatch(other)
                if a and b and a.group(1) == b.group(1) and value not in id_map:
                    id_map[value] = other
            else:
                _learn_ids(value, other, id_map)
    elif isinstance(expected, list) and isinstance(actual, list):
        for a, b in zip(expected, actual):
            if isinstance(a, str) and isinstance(b, str):
                _learn_ids({"id": a}, {"id": b}, id_map)
            else:
                _learn_ids(a, b, id_map)


def _remap(value: Any, id_map: dict[str, str]) -> Any:
    if not id_map:
        return value
    numbers = _number_map(id_map)

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, str) and "gid://" in item:
            return _GID_RE.sub(lambda m: id_map.get(m.group(0)) or _renumber(m.group(0), numbers), item)
        return item
    return walk(value)


def _number_map(id_map: dict[str, str]) -> dict[str, str]:
    """Shopify's number of an object the replay created → the replay's number."""
    pairs = {}
    for captured, replayed in id_map.items():
        a, b = captured.rsplit("/", 1)[-1], replayed.rsplit("/", 1)[-1]
        if a.isdigit() and b.isdigit():
            pairs[a] = b
    return pairs


def _renumber(value: str, numbers: dict[str, str]) -> str:
    """A gid naming, under another type, the number of an object the replay
    created (a request testing how Shopify reads a wrongly typed id: the
    number decides) keeps its type and takes the replay's number."""
    head, _, number = value.rpartition("/")
    return f"{head}/{numbers[number]}" if number in numbers else value


def _request_node(capture: Any, capture_path: str) -> Optional[dict[str, Any]]:
    """The recorded request whose response a capture path points into."""
    steps = jsonpath.parse(capture_path)
    if "response" not in steps:
        return None
    node = _at(capture, tuple(steps[:steps.index("response")]))
    return node if isinstance(node, dict) else None


def _as_sent_to_shopify(written: Any, variables: Any, capture: Any, capture_path: str) -> Any:
    """A target's variables (`written` as the scenario writes them, resolved
    to `variables`) with the recording proxy's own ids replaced by what
    Shopify was sent. A gid the scenario writes literally that the capture
    nowhere shows is the proxy's local numbering (its store, not Shopify's):
    the request recorded beside the captured response holds, at the same place
    in its variables, the id Shopify received (which `_remap` then turns into
    the replay's own). Values the scenario takes from answers are left alone."""
    recorded = (_request_node(capture, capture_path) or {}).get("variables")
    if recorded is None:
        return variables
    seen = json.dumps(capture)

    def swap(raw: Any, value: Any, sent: Any) -> Any:
        if isinstance(raw, dict) and isinstance(value, dict) and isinstance(sent, dict):
            return {k: swap(raw.get(k), v, sent.get(k)) for k, v in value.items()}
        if isinstance(raw, list) and isinstance(value, list) and isinstance(sent, list) \
                and len(raw) == len(value) == len(sent):
            return [swap(r, v, w) for r, v, w in zip(raw, value, sent)]
        if isinstance(raw, str) and raw == value and isinstance(sent, str) and _GID_RE.fullmatch(raw) \
                and _GID_RE.fullmatch(sent) and json.dumps(raw) not in seen:
            return sent
        return value
    return swap(written, variables, recorded)


WAIT_FOR_PROCESSING = 30.0
PROCESSING_DELAY = 5.0


def _waited_for_processing(value: Any) -> bool:
    """Whether a captured answer shows only finished media/files (READY or
    FAILED) or bulk operations (COMPLETED, FAILED, CANCELED) and none in
    flight: the recording waited before asking."""
    text = json.dumps(value)
    finished = re.search(r'"(?:fileStatus|status)": "(?:READY|FAILED|COMPLETED|CANCELED)"', text) is not None
    in_flight = re.search(r'"(?:fileStatus|status)": "(?:UPLOADED|PROCESSING|CREATED|RUNNING|CANCELING)"',
                          text) is not None
    return finished and not in_flight


def _fresh(root: str, spec: dict[str, Any], capture: Any, exclude: list[tuple], old: Replay) -> Replay:
    replay = Replay(root, spec, capture, exclude, old.created, old.fetch_origins, old.written, old.reads_after,
                    old.touched)
    replay.primary = old.primary
    replay.responses = dict(old.responses)
    replay.id_map = dict(old.id_map)
    return replay


def run(root: str, areas: Optional[list[str]] = None) -> Report:
    results = []
    with Internet() as internet:
        for path in scenario_paths(root):
            if areas and _area(root, path) not in areas:
                continue
            results.append(run_scenario(root, path, internet))
    return Report(results)
