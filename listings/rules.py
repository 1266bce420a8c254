"""Publish rules other apps contribute, so that listings need not know them.

A rule is a callable `rule(listing) -> list[str]` returning the reasons (translated, for the
seller) why the listing may not be published now; an empty list means it may. Apps register
their rules in AppConfig.ready(), e.g. certification requires a valid certificate for
remanufactured listings and a data-erasure record for used phones sold by merchants.

The rules keep holding while a listing is on sale (active or reserved):

* an edit by the seller that would break a rule is refused (409 `not_publishable`), see
  `listings.services.update_listing` and `certification.services.link_listing_certificate`;
* a rule registered with `enforced_by=<SuspensionSource>` is also enforced when a fact it reads
  changes outside the seller's edits (an inspection finds a blocker, a unit fails a later final
  test, a data-erasure verification fails): the app that records the fact calls
  `listings.lifecycle.enforce_rules(listing, sources={...})`, which suspends the listing for that
  source with the rule's reasons, and reinstates it for that source once the rule holds again.
"""
from collections.abc import Callable

PublishRule = Callable[[object], list[str]]

_RULES: list[PublishRule] = []
_ENFORCED_BY: dict[PublishRule, str] = {}


def register_publish_rule(rule: PublishRule, *, enforced_by: str | None = None) -> PublishRule:
    """Register `rule`; with `enforced_by` (a SuspensionSource value) a listing on sale that stops
    meeting it is suspended for that source by `lifecycle.enforce_rules`."""
    if rule not in _RULES:
        _RULES.append(rule)
    if enforced_by:
        _ENFORCED_BY[rule] = str(enforced_by)
    return rule


def publish_rules() -> list[PublishRule]:
    return list(_RULES)


def enforced_rules() -> dict[str, list[PublishRule]]:
    """{suspension source: [the rules it enforces]} in registration order."""
    by_source: dict[str, list[PublishRule]] = {}
    for rule in _RULES:
        source = _ENFORCED_BY.get(rule)
        if source:
            by_source.setdefault(source, []).append(rule)
    return by_source


def rule_problems(listing, rules=None) -> list[str]:
    """The reasons every registered rule (or just `rules`) gives against `listing` now."""
    problems = []
    for rule in _RULES if rules is None else rules:
        problems.extend(str(reason) for reason in rule(listing) or [])
    return problems
