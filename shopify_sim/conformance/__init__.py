"""Replay recorded Shopify conformance scenarios against the simulator.

ROOT is laid out like the captured set (config/parity-specs/<area>/*.json,
config/parity-requests/, fixtures/). For every scenario: a fresh simulator
shop is seeded from the capture (shopify_sim.conformance.seed), the
scenario's documents are replayed with the captured variables through the
simulator's real GraphQL endpoint, and each target is compared strictly with
what Shopify answered (shopify_sim.conformance.compare). Requested and actual
query costs are compared with the recorded `extensions.cost` too.

A scenario that cannot be replayed (it needs raw HTTP uploads, bulk
operations, or its files are missing) is reported with the reason and counted,
never silently skipped.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from . import compare, jsonpath, selection
from .seed import Seeder, created_ids

CLIENT_ID = "conformance-runner"
SHOP_DOMAIN = "conformance.myshopify.com"
SCOPES = ["write_products", "write_files", "write_themes", "write_images", "write_metaobjects",
          "write_metaobject_definitions", "write_content", "write_online_store_pages", "write_inventory",
          "write_publications", "read_products", "read_files"]
# Out of scope for this project unless everything else passes (issue text).
SKIPPED_AREAS = {"bulk-operations": "bulk operations are out of scope"}


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
    """Simulated time: starts at the real time, moves REQUEST_STEP per request."""
    REQUEST_STEP = 0.05

    def __init__(self) -> None:
        import time
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.REQUEST_STEP


class Replay:
    """One scenario's simulator: app, shop, token, and the responses so far."""

    def __init__(self, root: str, spec: dict[str, Any], capture: dict[str, Any], exclude: list[tuple],
                 created: set[str]) -> None:
        from .. import create_app
        from ..state import App, Shop
        from ..catalog import Catalog
        from ..resolvers.views import shop_id
        from ..catalog import gid

        self.root, self.spec, self.capture = root, spec, capture
        # A clock that moves a fixed step per request keeps replays
        # deterministic: each request sees the previous one's effects as
        # "just now", as the captures recorded them.
        self.clock = StepClock()
        # Processing takes seconds at Shopify (media-file-interface-fields:
        # created 17:46:19, READY 17:46:21; product-variant-media-validation:
        # media still processing a dozen requests after its creation): 5 s of
        # simulated time is 100 replayed requests. Captures that read
        # finished media are replayed after WAIT_FOR_PROCESSING.
        self.app = create_app({"TESTING": True, "SIM_WEBHOOK_THREAD": False, "SIM_PROCESSING_DELAY": PROCESSING_DELAY,
                               "SIM_CLOCK": self.clock})
        state = self.app.extensions["sim_state"]
        sim_app = App(client_id=CLIENT_ID, client_secret="conformance", application_url="https://example.com",
                      scopes=list(SCOPES))
        api_client_id = _api_client_id(spec, capture)
        if api_client_id:
            sim_app.api_client_id = api_client_id  # the captured app's `app--<id>` namespace
        state.apps[CLIENT_ID] = sim_app
        domain = capture.get("storeDomain") if isinstance(capture.get("storeDomain"), str) else SHOP_DOMAIN
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
        seeder = Seeder(shop.catalog, now=self.clock.now, shop_gid=gid("Shop", shop_id(shop)))
        seeder.seed(capture, exclude=exclude, created=created)
        self.created = created
        self.exclude = exclude
        seeder.finish()
        self.responses: dict[str, Any] = {}
        self.primary: Optional[dict[str, Any]] = None
        # Captured gid → the simulator's gid for objects the replay created:
        # later requests name what Shopify created, the replay uses its own.
        self.id_map: dict[str, str] = {}
        # The captured store's Shop is the simulator's shop.
        for captured_shop in seeder.captured_shop_gids:
            self.id_map.setdefault(captured_shop, gid("Shop", shop_id(shop)))

    def execute(self, document: str, variables: dict[str, Any], headers: Optional[dict[str, str]] = None) -> dict:
        from ..schema import API_VERSION
        self.clock.tick()
        variables = _remap(variables, self.id_map)
        manage_products = str((headers or {}).get("x-shopify-draft-proxy-manage-products", "true")).lower()
        token = self.token_without_write_products if manage_products == "false" else self.token
        sent = {"X-Shopify-Access-Token": token}
        response = self.client.post(f"/{self.domain}/admin/api/{API_VERSION}/graphql.json",
                                    json={"query": document, "variables": variables}, headers=sent)
        body = response.get_json(silent=True)
        if not isinstance(body, dict):
            raise AssertionError(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:200]}")
        return body


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
        counts = [c for c in _product_counts(expected)]
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


def _captured_shop_id(capture: Any) -> Optional[int]:
    import collections
    found = collections.Counter(re.findall(r"gid://shopify/Shop/(\d+)", json.dumps(capture)))
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


def run_scenario(root: str, spec_path: str) -> Result:
    area = _area(root, spec_path)
    spec = _read_json(root, os.path.relpath(spec_path, root))
    result = Result(area, spec.get("scenarioId") or os.path.basename(spec_path)[:-5], "failed")
    try:
        _run(root, spec, result)
    except NotReplayable as exc:
        result.status = "not-replayed"
        result.details = [str(exc)]
    except Exception as exc:  # a crash in the simulator is a failure, with its cause
        result.status = "failed"
        result.details.append(f"error: {type(exc).__name__}: {exc}")
    return result


def _run(root: str, spec: dict[str, Any], result: Result) -> None:
    if result.area in SKIPPED_AREAS:
        raise NotReplayable(SKIPPED_AREAS[result.area])
    if spec.get("scenarioStatus") != "captured":
        raise NotReplayable(f"scenario status {spec.get('scenarioStatus')!r}")
    comparison = spec["comparison"]
    if comparison.get("mode") != "strict-json":
        raise NotReplayable(f"comparison mode {comparison.get('mode')!r}")
    files = spec.get("liveCaptureFiles") or []
    if not files or not os.path.exists(os.path.join(root, files[0])):
        raise NotReplayable(f"capture file missing: {files[:1]}")
    capture = _read_json(root, files[0])
    targets = comparison["targets"]
    for target in targets:
        for unsupported in ("proxyHttpRequest", "proxyUpload"):
            if unsupported in target:
                raise NotReplayable(f"target {target['name']!r} needs a raw HTTP step ({unsupported})")
        if target.get("proxyPath") is None and "selectedPaths" not in target:
            raise NotReplayable(f"target {target['name']!r} has no proxyPath")
    primary_request = spec.get("proxyRequest")
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
        created |= created_ids(value)
    for target in targets:
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
    _needs_unrecorded_products(capture, targets)
    replay = Replay(root, spec, capture, exclude, created)
    global_rules = comparison.get("expectedDifferences") or []
    global_excluded = comparison.get("excludedPaths") or []

    primary_body: Optional[dict[str, Any]] = None
    primary_pair: Optional[CostPair] = None
    if primary_request:
        document = _document(root, capture, primary_request)
        primary_body = replay.execute(document, _variables(root, replay, primary_request),
                                      primary_request.get("headers"))
        replay.primary = primary_body
    failures: list[str] = []
    for target in targets:
        if target.get("isolatedProxy"):
            replay = _fresh(root, spec, capture, exclude, replay)
        request = target.get("proxyRequest")
        if request and _waited_for_processing(jsonpath.get(capture, target["capturePath"], None)):
            # The capture polled until media were processed; wait as it did.
            replay.clock.now += WAIT_FOR_PROCESSING
        if request:
            document = _document(root, capture, request)
            body = replay.execute(document, _variables(root, replay, request), request.get("headers"))
        else:
            if primary_body is None:
                raise NotReplayable(f"target {target['name']!r} has no request to replay")
            body = primary_body
        replay.responses[target["name"]] = body
        cost = _captured_cost(capture, target["capturePath"])
        recorded_document = _captured_document(capture, target["capturePath"])
        sent = _document(root, capture, request or primary_request) if (request or primary_request) else ""
        if recorded_document is not None and _normal(recorded_document) != _normal(sent):
            cost = None  # Shopify priced another document; nothing to compare
        answer_root = _answer_root(jsonpath.parse(target["capturePath"]))
        if cost is not None and sent and answer_root[-1:] == ("data",) \
                and not selection.answers_document(_at(capture, answer_root), sent):
            cost = None  # the recorded answer has fields this document does not select, or lacks some it does
        replayed_cost = (body.get("extensions") or {}).get("cost") or {}
        if cost is not None and (request or primary_pair is None):
            pair = CostPair(result.name, target["name"], cost.get("requestedQueryCost"),
                            cost.get("actualQueryCost"), replayed_cost.get("requestedQueryCost"),
                            replayed_cost.get("actualQueryCost"))
            result.costs.append(pair)
            if not request:
                primary_pair = pair
        expected = jsonpath.get(capture, target["capturePath"])
        if expected is jsonpath.MISSING:
            raise NotReplayable(f"target {target['name']!r}: capture has nothing at {target['capturePath']}")
        if sent and target.get("proxyPath"):
            # Shopify's answer to the replayed document: what it selects.
            expected = selection.project(expected, sent, target["proxyPath"])
        actual = jsonpath.get(body, target["proxyPath"]) if target.get("proxyPath") else body
        _learn_ids(expected, actual, replay.id_map)
        rules = compare.rules_from(global_rules + (target.get("expectedDifferences") or []),
                                   global_excluded + (target.get("excludedPaths") or []))
        if target.get("selectedPaths"):
            expected = jsonpath.project(expected, target["selectedPaths"])
            actual = jsonpath.project(actual, target["selectedPaths"]) if actual is not jsonpath.MISSING else actual
            rules = []
        differences = compare.diff(expected, actual, rules)
        if differences:
            errors = body.get("errors")
            if errors and actual in (None, jsonpath.MISSING):
                differences.append(f"replay errors: {json.dumps(errors)[:300]}")
            failures.append(f"{target['name']}: " + "; ".join(differences[:4]))
    result.status = "failed" if failures else "passed"
    result.details = failures


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
    if isinstance(value, dict):
        return {k: _remap(v, id_map) for k, v in value.items()}
    if isinstance(value, list):
        return [_remap(v, id_map) for v in value]
    if isinstance(value, str) and "gid://" in value:
        return _GID_RE.sub(lambda m: id_map.get(m.group(0), m.group(0)), value)
    return value


WAIT_FOR_PROCESSING = 30.0
PROCESSING_DELAY = 5.0


def _waited_for_processing(value: Any) -> bool:
    """Whether a captured answer shows only finished media/files (READY or
    FAILED) and no in-flight ones: the recording waited before asking."""
    text = json.dumps(value)
    finished = re.search(r'"(?:fileStatus|status)": "(?:READY|FAILED)"', text) is not None
    in_flight = re.search(r'"(?:fileStatus|status)": "(?:UPLOADED|PROCESSING)"', text) is not None
    return finished and not in_flight


def _fresh(root: str, spec: dict[str, Any], capture: Any, exclude: list[tuple], old: Replay) -> Replay:
    replay = Replay(root, spec, capture, exclude, old.created)
    replay.primary = old.primary
    replay.responses = dict(old.responses)
    replay.id_map = dict(old.id_map)
    return replay


def run(root: str, areas: Optional[list[str]] = None) -> Report:
    results = []
    for path in scenario_paths(root):
        if areas and _area(root, path) not in areas:
            continue
        results.append(run_scenario(root, path))
    return Report(results)
