"""Publish rules other apps contribute, so that listings need not know them.

A rule is a callable `rule(listing) -> list[str]` returning the reasons (translated, for the
seller) why the listing may not be published now; an empty list means it may. Apps register
their rules in AppConfig.ready(), e.g. certification requires a valid certificate for
remanufactured listings and a data-erasure record for used phones sold by merchants.
"""
from collections.abc import Callable

PublishRule = Callable[[object], list[str]]

_RULES: list[PublishRule] = []


def register_publish_rule(rule: PublishRule) -> PublishRule:
    if rule not in _RULES:
        _RULES.append(rule)
    return rule


def publish_rules() -> list[PublishRule]:
    return list(_RULES)
