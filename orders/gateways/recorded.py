"""Stripe without the network: recorded Stripe-shaped answers, and events signed like Stripe signs them.

`RecordedStripe` is a `stripe.HTTPClient` for `StripeClient(http_client=...)`: it keeps every
request the client sends (method, path, form parameters, idempotency key) and answers from a
list of recorded responses. Tests use it to assert the exact requests we send and to get a
specific answer (a declined payment, an account with transfers active); the embedded demo uses
it when no Stripe key is set, so its orders take the same code paths as real ones.

`event(...)` builds a Stripe event around an object and `signed(...)` gives the body and the
`Stripe-Signature` header with the real signature scheme (`stripe.WebhookSignature`), so the
webhook endpoint verifies them like any other.
"""
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import stripe

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_rec{int(time.time() * 1000):x}{next(_ids):04d}"


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    headers: dict[str, str] = field(repr=False, default_factory=dict)


@dataclass
class _Answer:
    method: str
    path: re.Pattern
    body: dict | Callable[..., dict]
    status: int
    times: int | None  # None: every matching request


class RecordedStripe(stripe.HTTPClient):
    name = "recorded"

    def __init__(self):
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._answers: list[_Answer] = []

    def answer(self, method: str, path: str, body, *, status: int = 200, times: int | None = None, first=False):
        """Answer `method path` (a regular expression over the whole path) with `body`, a dict or a
        function of the request's form parameters (and the path's named groups); `times` limits
        how often (then the next matching rule answers); `first` puts the rule before the others."""
        rule = _Answer(method.lower(), re.compile(path), body, status, times)
        if first:
            self._answers.insert(0, rule)
        else:
            self._answers.append(rule)
        return self

    def answer_stripe_objects(self):
        """Answer every call the gateway makes with a plausible object built from the request."""
        for method, path, build in (
            ("post", r"/v1/payment_intents", payment_intent_from),
            ("get", r"/v1/payment_intents/(?P<id>[^/]+)", lambda params, id: payment_intent(id=id, amount=0)),
            ("post", r"/v1/payment_intents/(?P<id>[^/]+)/cancel",
             lambda params, id: payment_intent(id=id, amount=0, status="canceled")),
            ("post", r"/v1/refunds", refund_from),
            ("post", r"/v1/transfers", transfer_from),
            ("post", r"/v1/transfers/[^/]+/reversals", reversal_from),
            ("post", r"/v1/accounts", account_from),
            ("post", r"/v1/account_links", account_link_from),
        ):
            self.answer(method, path, build)
        return self

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        raw = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(raw, keep_blank_values=True))
        headers = dict(headers or {})
        self.requests.append(RecordedRequest(method.lower(), parts.path, params, headers.get("Idempotency-Key"), headers))
        for answer in self._answers:
            match = answer.path.fullmatch(parts.path)
            if answer.method == method.lower() and match and answer.times != 0:
                if answer.times is not None:
                    answer.times -= 1
                body = answer.body(params, **match.groupdict()) if callable(answer.body) else answer.body
                return json.dumps(body), answer.status, {"Request-Id": new_id("req")}
        error = {"error": {"type": "invalid_request_error", "message": f"No recorded answer for {method} {parts.path}"}}
        return json.dumps(error), 404, {"Request-Id": new_id("req")}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError("streaming is not recorded")

    def close(self):
        pass

    def sent(self, method: str, path: str) -> list[RecordedRequest]:
        """The requests sent to `method path` (a regular expression over the whole path)."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method.lower() and pattern.fullmatch(r.path)]


def _metadata(params: dict) -> dict[str, str]:
    return {key[len("metadata["):-1]: value for key, value in params.items() if key.startswith("metadata[")}


# Stripe-shaped objects, trimmed from what the API (and stripe-mock) answers.

def payment_intent(*, id=None, amount, status="requires_payment_method", metadata=None, latest_charge=None,
                   transfer_group=None, last_payment_error=None) -> dict:
    id = id or new_id("pi")
    return {
        "id": id, "object": "payment_intent", "amount": amount, "amount_received": amount if status == "succeeded" else 0,
        "currency": "cny", "status": status, "client_secret": f"{id}_secret_recorded",
        "automatic_payment_methods": {"enabled": True}, "latest_charge": latest_charge,
        "transfer_group": transfer_group, "metadata": metadata or {}, "last_payment_error": last_payment_error,
        "livemode": False, "created": int(time.time()),
    }


def payment_intent_from(params: dict) -> dict:
    return payment_intent(amount=int(params["amount"]), metadata=_metadata(params),
                          transfer_group=params.get("transfer_group"))


def charge(*, id=None, payment_intent, amount, amount_refunded=0, metadata=None) -> dict:
    return {
        "id": id or new_id("ch"), "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": amount_refunded, "currency": "cny", "paid": True, "captured": True,
        "refunded": amount_refunded >= amount, "payment_intent": payment_intent, "metadata": metadata or {},
        "livemode": False, "created": int(time.time()),
    }


def refund_from(params: dict) -> dict:
    return {"id": new_id("re"), "object": "refund", "amount": int(params["amount"]), "currency": "cny",
            "payment_intent": params.get("payment_intent"), "status": "pending", "metadata": _metadata(params)}


def transfer_from(params: dict) -> dict:
    return {"id": new_id("tr"), "object": "transfer", "amount": int(params["amount"]), "currency": "cny",
            "destination": params["destination"], "transfer_group": params.get("transfer_group"),
            "source_transaction": params.get("source_transaction"), "amount_reversed": 0, "reversed": False,
            "metadata": _metadata(params)}


def reversal_from(params: dict) -> dict:
    return {"id": new_id("trr"), "object": "transfer_reversal", "amount": int(params["amount"]), "currency": "cny",
            "metadata": _metadata(params)}


def account(*, id=None, transfers="inactive", payouts_enabled=False, details_submitted=False, currently_due=(),
            disabled_reason=None, metadata=None) -> dict:
    return {
        "id": id or new_id("acct"), "object": "account", "type": "express", "charges_enabled": False,
        "payouts_enabled": payouts_enabled, "details_submitted": details_submitted,
        "capabilities": {"transfers": transfers},
        "requirements": {"currently_due": list(currently_due), "disabled_reason": disabled_reason},
        "metadata": metadata or {},
    }


def account_from(params: dict) -> dict:
    return account(currently_due=["external_account", "tos_acceptance.date"], metadata=_metadata(params))


def account_link_from(params: dict) -> dict:
    return {"object": "account_link", "url": f"https://connect.stripe.com/setup/e/{params['account']}/recorded",
            "created": int(time.time()), "expires_at": int(time.time()) + 300}


def dispute(*, id=None, payment_intent, charge, amount, status="needs_response", reason="product_not_received") -> dict:
    return {"id": id or new_id("dp"), "object": "dispute", "amount": amount, "currency": "cny", "charge": charge,
            "payment_intent": payment_intent, "reason": reason, "status": status, "livemode": False}


def event(type: str, obj: dict, *, id=None, created=None) -> dict:
    return {
        "id": id or new_id("evt"), "object": "event", "api_version": stripe.api_version, "type": type,
        "created": int(created if created is not None else time.time()), "livemode": False,
        "data": {"object": obj}, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
    }


def signed(event_or_body, secret: str, *, timestamp=None) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) for an event dict (or a body already serialized)."""
    body = event_or_body if isinstance(event_or_body, str) else json.dumps(event_or_body)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body.encode(), header
