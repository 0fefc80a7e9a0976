"""The narrow FHIR gateway: the only module that imports `fhirclient`.

Everything the agent reads or writes in the EHR passes through `FhirGateway`: reads, searches and
conditional creates, with per-request timeouts, retries for transient failures only (connection
errors, 429, 5xx) and one error family (`tools.errors`). Patient scoping lives one layer up, in
`tools.record.PatientRecord`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
from fhirclient.server import FHIRServer
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from tools.errors import FhirError, FhirNotFound, FhirRejected, FhirUnavailable
from tools.fhir_budget import remaining_s

FHIR_JSON = "application/fhir+json"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_SEARCH_PAGES = 20
"""A bound on paging so a misbehaving server cannot keep a turn busy forever."""
MAX_PAGE_SIZE = 100
"""The largest `_count` asked for: servers cap pages anyway, and a tool wanting more follows `next`."""


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout: fhirclient sets none, and a hung EHR must not hang a turn."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout_s)
        return super().request(method, url, *args, **kwargs)


class _BudgetSpent(stop_base):
    """Stop retrying once the turn's FHIR time budget is spent."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = remaining_s()
        return left is not None and left <= 0


class _Transient(Exception):
    """Internal marker: a failure worth retrying."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class WriteResult:
    """The outcome of a conditional create: the stored resource and whether this call created it."""

    resource: dict[str, Any]
    created: bool


def _diagnostics(response: requests.Response) -> str:
    """The human part of an OperationOutcome, or the raw body when there is none."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason or "no details"
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = body.get("issue") or []
        texts = [
            str(i.get("diagnostics") or i.get("details", {}).get("text") or i.get("code")) for i in issues
        ]
        return "; ".join(t for t in texts if t) or "no details"
    return json.dumps(body)[:300]


@dataclass(frozen=True)
class SearchResult:
    """The resources a search read, and whether they are every match (no page left unread)."""

    resources: list[dict[str, Any]]
    complete: bool


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    return next(
        (link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"), None
    )


def sized(
    params: Sequence[tuple[str, str]], limit: int, elements: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """Search parameters with `_count` sized to `limit` and `_elements` added, unless already given."""
    names = {name for name, _ in params}
    out = list(params)
    if "_count" not in names:
        out.append(("_count", str(max(1, min(limit, MAX_PAGE_SIZE)))))
    if elements and "_elements" not in names:
        out.append(("_elements", ",".join(elements)))
    return out


def _split_param(part: str) -> tuple[str, str]:
    name, _, value = part.partition("=")
    return name, value


class FhirGateway:
    """Talks FHIR R4 REST to one server through fhirclient's `FHIRServer` transport."""

    def __init__(self, base_url: str, timeout_s: float = 10.0, attempts: int = 3) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self._server = FHIRServer(None, base_uri=self.base_url)
        self._server.session = _TimeoutSession(timeout_s)
        self._system_interactions: frozenset[str] | None = None

    # -- transport -----------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        attempts: int | None = None,
        timeout_s: float | None = None,
    ) -> requests.Response:
        """One HTTP exchange, retried with jittered exponential backoff on transient failures only."""
        url = path if path.startswith("http") else urljoin(self.base_url, path)
        all_headers = {"Accept": FHIR_JSON, **(headers or {})}
        data = None
        if body is not None:
            all_headers["Content-Type"] = FHIR_JSON
            data = json.dumps(body)

        def attempt() -> requests.Response:
            wait_s = timeout_s if timeout_s is not None else self.timeout_s
            left = remaining_s()
            if left is not None:
                if left <= 0:
                    raise FhirUnavailable(
                        f"the turn's time for the FHIR server at {self.base_url} is spent; not asking again"
                    )
                wait_s = min(wait_s, left)
            try:
                response: requests.Response = self._server.session.request(
                    method, url, data=data, headers=all_headers, timeout=wait_s
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Transient(
                    f"cannot reach the FHIR server at {self.base_url} ({type(exc).__name__})"
                ) from exc
            if response.status_code in TRANSIENT_STATUSES:
                raise _Transient(f"FHIR server answered {response.status_code}: {_diagnostics(response)}")
            return response

        def give_up(state: RetryCallState) -> requests.Response:
            exc = state.outcome.exception() if state.outcome else None
            detail = exc.detail if isinstance(exc, _Transient) else "unknown failure"
            raise FhirUnavailable(f"{detail} (after {state.attempt_number} attempts)")

        backoff = wait_random_exponential(multiplier=0.1, max=2.0)

        def wait(state: RetryCallState) -> float:
            left = remaining_s()
            return backoff(state) if left is None else min(backoff(state), left)

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Transient)),
            stop=stop_any(stop_after_attempt(attempts or self.attempts), _BudgetSpent()),
            wait=wait,
            retry_error_callback=give_up,
            reraise=False,
        )
        response: requests.Response = retrying(attempt)
        if response.status_code == 404:
            raise FhirNotFound(f"not found: {path.split('?')[0]} ({_diagnostics(response)})")
        if response.status_code >= 400:
            raise FhirRejected(response.status_code, _diagnostics(response))
        return response

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise FhirError(f"FHIR server returned a body that is not JSON ({response.status_code})") from exc
        if not isinstance(body, dict):
            raise FhirError("FHIR server returned JSON that is not a resource")
        return body

    # -- interactions --------------------------------------------------------------------------
    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """Read one resource by id."""
        return self._json(self._send("GET", f"{resource_type}/{resource_id}"))

    def search(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        limit: int = 200,
        elements: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Search and follow `next` links until `limit` resources (or the page bound) are collected.

        Pages are sized to `limit` (`_count`, unless the caller set one), so a tool that wants the
        newest 3 readings does not pull a server's default 50. `elements` asks for only those top-level
        elements (`_elements`); use it only where the caller reads nothing else (the resources come
        back tagged SUBSETTED, and a server may still return more).
        """
        return self.search_all(resource_type, params, limit, elements).resources

    def search_all(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        limit: int = 200,
        elements: Sequence[str] = (),
    ) -> SearchResult:
        """`search`, saying whether every match was read: False when `limit` or the page bound stopped it.

        A caller that must not say "there is none" after a partial read (a lab search) checks `complete`.
        """
        return self._collect(resource_type, sized(params, limit, elements), limit)

    def _collect(self, resource_type: str, params: Sequence[tuple[str, str]], limit: int) -> SearchResult:
        url: str | None = f"{resource_type}?{urlencode(list(params))}" if params else resource_type
        found: list[dict[str, Any]] = []
        for _ in range(MAX_SEARCH_PAGES):
            if url is None:
                return SearchResult(found, complete=True)
            bundle = self._json(self._send("GET", url))
            entries = bundle.get("entry") or []
            for n, entry in enumerate(entries):
                resource = entry.get("resource")
                if isinstance(resource, dict) and (entry.get("search") or {}).get("mode", "match") == "match":
                    found.append(resource)
                    if len(found) >= limit:
                        url = _next_link(bundle)
                        return SearchResult(found, complete=url is None and n == len(entries) - 1)
            url = _next_link(bundle)
        return SearchResult(found, complete=url is None)

    def create_if_none_exist(self, resource: Mapping[str, Any], condition: str) -> WriteResult:
        """Conditional create: writes `resource` unless a resource matching `condition` already exists.

        The retry safety of every approved write rests on this: a repeated commit finds the first one.
        """
        resource_type = str(resource["resourceType"])
        response = self._send("POST", resource_type, body=resource, headers={"If-None-Exist": condition})
        created = response.status_code == 201
        if response.content:
            return WriteResult(resource=self._json(response), created=created)
        existing = self.search(resource_type, [_split_param(part) for part in condition.split("&")], limit=1)
        if not existing:
            raise FhirError(
                f"conditional create of {resource_type} returned no body and nothing matches {condition}"
            )
        return WriteResult(resource=existing[0], created=created)

    def update(self, resource: Mapping[str, Any], if_match: str | None = None) -> dict[str, Any]:
        """PUT a resource back under its id; `if_match` (a version id) makes it fail (412) if changed since."""
        path = f"{resource['resourceType']}/{resource['id']}"
        headers = {"If-Match": f'W/"{if_match}"'} if if_match else None
        response = self._send("PUT", path, body=resource, headers=headers)
        return self._json(response) if response.content else dict(resource)

    def post_bundle(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction or batch Bundle to the base URL; the response Bundle, resources included."""
        response = self._send("POST", "", body=bundle, headers={"Prefer": "return=representation"})
        return self._json(response)

    def supports(self, interaction: str) -> bool:
        """Whether the CapabilityStatement lists a system interaction (e.g. `transaction`), asked once."""
        if self._system_interactions is None:
            rests = self.capability().get("rest") or []
            self._system_interactions = frozenset(
                str(i.get("code")) for rest in rests for i in rest.get("interaction") or []
            )
        return interaction in self._system_interactions

    def capability(self) -> dict[str, Any]:
        """The server's CapabilityStatement (also a cheap liveness probe)."""
        return self._json(self._send("GET", "metadata"))

    def probe(self, timeout_s: float) -> dict[str, Any]:
        """The CapabilityStatement in one quick attempt, for readiness checks: no retries, a short timeout."""
        return self._json(self._send("GET", "metadata", attempts=1, timeout_s=timeout_s))
