"""May this listing be on sale? Every rule, every source, what takes a listing off sale and what
puts it back: this module is the one place that answers.

A *rule* says why a listing may not be on sale now (a list of reasons, each with a stable code;
none when it may). Every rule is registered here against a *source*, declared in SOURCES below;
a rule may live beside the data it reads in the app that owns that data, but registering it for
a source that is not declared here fails at start-up. Publishing (draft -> active) needs every
rule of every source to hold, and all reasons are given at once (409 `not_publishable`, the
codes in `errors`). While a listing is on sale (active, reserved, or suspended and so able to
come back) the rules keep holding in two ways:

* an edit that would make a rule give a reason it did not give before is refused (409
  `not_publishable`): `kept_on_sale(listing)` around the change;
* when a fact a rule reads changes elsewhere, the app that records the fact reports it with
  ONE call, `listings.lifecycle.reevaluate(listing, source)` (or `reevaluate_many(ids, source)`),
  which re-runs that source's rules: a listing on sale that breaks one is suspended for the
  source (the platform acts, the seller is told the reasons in their own language), one held by
  the source whose rules hold again is reinstated for it. Sources are independent: lifting one
  never lifts another, and a listing comes back only when no source holds it.

Other apps never write `Listing` fields nor send `listings.signals.listing_changed`: only
`listings/` does (a test checks it).

Sources
-------
publishing   rules: photo_required, organization_verified                       (listings, here)
             Checked when publishing and against edits on sale; nothing takes a listing off
             sale for them (an organization that loses its verification keeps what it published,
             but publishes nothing new).
             seller_record                                     (orders.rules)
             A seller with too many grade claims upheld (orders.record) publishes new listings
             only after staff reviewed the record; what is on sale stays. Back: staff clear the
             record (`POST .../record/clear`), or the share of upheld claims falls.
moderation   no rules: staff judge.
             Off sale: staff, `lifecycle.suspend(listing, actor=staff, reason=...)` (the listing's
             suspend endpoint, the moderation queue). Back: staff, `lifecycle.reinstate(...)`.
grading      rules: grade_required, grade_current_standard                      (listings, here)
                    grade_sellable                      (grading.selectors.publish_blockers)
             Reported by grading.services after every assessment:
             `reevaluate(listing, "grading")`, which first copies the effective grade (the
             inspected one wins) into Listing.grade_code, grade_source and grade_mismatch.
             Off sale: the effective assessment has blockers (grade X). Back: a later assessment
             that is sellable.
certificate  rules: remanufactured_certificate                  (certification.rules)
             Reported by certification.services: a certificate suspended, revoked, expired or
             reinstated -> `reevaluate_many(<listings relying on it>, "certificate")`; a listing
             linked to a certificate -> `reevaluate(listing, "certificate")`.
             Off sale: the certificate stops being in force. Back: it is reinstated, or the
             listing is linked to a valid one.
compliance   rules: traced_units, data_erasure                  (certification.rules)
             Reported by certification.services: a final test of a unit offered in a listing, the
             units of a listing linked, a data-erasure record -> `reevaluate(listing, "compliance")`.
             Off sale: a traced unit fails a later final test, a data-erasure verification fails.
             Back: a passed retest, passed units linked instead, a passed erasure record, or an
             edit by the seller that fixes it (fewer items than failed units).

Holds (off sale without a fault)
--------------------------------
order        orders.services through listings.stock: a checkout that takes the last free unit
             -> `reserve(listing, actor=None, source="order")`; the unit comes back (the
             checkout expired or was cancelled) -> `release(...)`; the last unit paid for ->
             `mark_sold(...)`. Every unit sold -> sold for good.

Where the next reasons go (events and others)
---------------------------------------------
* A listing that leaves sale without a fault (reserved by a checkout, sold through an order,
  brought to a stall) is a *hold*: declare it in HOLDS below and move the listing with
  `lifecycle.reserve / release / mark_sold(listing, actor=None, source=<hold>, reason=...)` from
  the app's service; the hold's name is kept as the transition's `source` (16 characters at
  most). A hold that needs a state of its own (a listing at a stall) adds it to
  `lifecycle.TRANSITIONS` too.
* A fact that makes a listing unfit for sale (e.g. an event's own conditions) is a source: add
  it to SOURCES below and to `listings.models.SuspensionSource` (with its migration), register
  its rules from the app's `AppConfig.ready()`, and report the fact with `reevaluate`.
tests/listings/test_eligibility.py lists every source, hold and rule: a new one cannot hide.
"""
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from grading.models import Assessment
from listings.models import ListingState, SuspensionSource
from marketplace.errors import Conflict

S = ListingState

# On sale: buyers see it and may buy it. Watched: on sale, or suspended and so able to come back.
ON_SALE = frozenset({S.ACTIVE, S.RESERVED})
WATCHED = frozenset({*ON_SALE, S.SUSPENDED})


@dataclass(frozen=True)
class Source:
    """Where a reason for not being on sale comes from.

    `enforced`: its rules are kept while on sale by `lifecycle.reevaluate` (a suspension source,
    a value of SuspensionSource). `judged`: no rules, people decide (moderation).
    """

    name: str
    enforced: bool = False
    judged: bool = False


PUBLISHING = "publishing"
MODERATION = SuspensionSource.MODERATION.value
GRADING = SuspensionSource.GRADING.value
CERTIFICATE = SuspensionSource.CERTIFICATE.value
COMPLIANCE = SuspensionSource.COMPLIANCE.value

SOURCES: dict[str, Source] = {
    PUBLISHING: Source(PUBLISHING),
    MODERATION: Source(MODERATION, enforced=False, judged=True),
    GRADING: Source(GRADING, enforced=True),
    CERTIFICATE: Source(CERTIFICATE, enforced=True),
    COMPLIANCE: Source(COMPLIANCE, enforced=True),
}

# Holds: reasons to leave sale that are not faults, {name: what it means}. A new one (events'
# "stall", say) is declared here too.
ORDER = "order"
HOLDS: dict[str, str] = {
    ORDER: "reserved by a checkout with no unit left for another buyer, sold when the order is paid "
           "(orders, through listings.stock)",
}


class Problem(NamedTuple):
    """One reason a listing may not be on sale: a stable code and a message for the seller."""

    code: str
    message: str

    def __str__(self):
        return self.message


# check(listing) -> reasons: messages (carrying the rule's only code) or (code, message) pairs.
Check = Callable[[object], Iterable]


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    codes: tuple[str, ...]
    check: Check


_RULES: dict[str, Rule] = {}


def register(name: str, *, source: str, check: Check, codes: Iterable[str] | None = None) -> Rule:
    """Register the rule `name` of `source`; `codes` are the codes its reasons carry (default:
    the rule's name alone). Registering twice the same rule is a no-op; an undeclared or judged
    source, a name taken by another rule or a code used by another rule fails loudly."""
    declared = SOURCES.get(str(source))
    if declared is None or declared.judged:
        raise ImproperlyConfigured(
            f"Rule {name!r}: {source!r} is not a source with rules; declare it in listings.eligibility.SOURCES."
        )
    rule = Rule(name=name, source=declared.name, codes=tuple(codes or (name,)), check=check)
    existing = _RULES.get(name)
    if existing is not None:
        if existing != rule:
            raise ImproperlyConfigured(f"Another rule is already registered as {name!r}.")
        return existing
    taken = {code for other in _RULES.values() for code in other.codes} & set(rule.codes)
    if taken:
        raise ImproperlyConfigured(f"Rule {name!r}: the codes {sorted(taken)} belong to another rule.")
    _RULES[name] = rule
    return rule


def rules(sources: Iterable[str] | None = None) -> list[Rule]:
    """The registered rules (of `sources` only, when given), in registration order."""
    wanted = None if sources is None else {str(source) for source in sources}
    return [rule for rule in _RULES.values() if wanted is None or rule.source in wanted]


def enforced_sources() -> list[str]:
    return [source.name for source in SOURCES.values() if source.enforced]


def require_enforced(source) -> str:
    """`source` as a string, if it is a source whose rules are enforced on sale (ValueError otherwise)."""
    declared = SOURCES.get(str(source))
    if declared is None or not declared.enforced:
        raise ValueError(f"{source!r} is not a source enforced on sale (listings.eligibility.SOURCES).")
    return declared.name


def require_hold(source) -> str:
    """`source` as a string if it is empty (the seller or staff by hand) or a declared hold (ValueError otherwise)."""
    source = str(source or "")
    if source and source not in HOLDS:
        raise ValueError(f"{source!r} is not a hold declared in listings.eligibility.HOLDS.")
    return source


def _problems_of(rule: Rule, listing) -> list[Problem]:
    found = []
    for reason in rule.check(listing) or ():
        if isinstance(reason, tuple):
            code, message = reason
        elif len(rule.codes) == 1:
            code, message = rule.codes[0], reason
        else:
            raise ImproperlyConfigured(f"Rule {rule.name!r} has several codes: give each reason as (code, message).")
        if code not in rule.codes:
            raise ImproperlyConfigured(f"Rule {rule.name!r} gave the undeclared code {code!r}.")
        found.append(Problem(code, str(message)))
    return found


def problems(listing, *, sources: Iterable[str] | None = None) -> list[Problem]:
    """Every reason (of the rules of `sources`, or of all) why `listing` may not be on sale now."""
    return [problem for rule in rules(sources) for problem in _problems_of(rule, listing)]


def refusal(found: list[Problem], lead: str) -> Conflict:
    """409 `not_publishable`: `lead` and the reasons as one readable sentence in `detail`, and
    the reasons by code in `errors` ({code: [messages]}) so a client can show a checklist."""
    by_code: dict[str, list[str]] = {}
    for problem in found:
        by_code.setdefault(problem.code, []).append(problem.message)
    detail = " ".join([lead, *(problem.message for problem in found)])
    return Conflict(detail, code="not_publishable", errors=by_code)


def require_publishable(listing) -> None:
    """Raise 409 `not_publishable` with every reason when `listing` may not be published."""
    found = problems(listing)
    if found:
        raise refusal(found, _("This listing cannot be published yet."))


@contextmanager
def kept_on_sale(listing):
    """Around a change to a listing on sale (or suspended): refuse it (409 `not_publishable`)
    when afterwards a rule gives a reason it did not give before. The block must run inside the
    change's transaction, so that raising here rolls the change back; the check reads `listing`
    as the block left it (in memory or saved)."""
    if listing.state not in WATCHED:
        yield
        return
    before = set(problems(listing))
    yield
    new = [problem for problem in problems(listing) if problem not in before]
    if new:
        raise refusal(new, _("This change is refused: the listing is on sale and would no longer meet the rules."))


# The listing's own rules.

def photo_required(listing):
    return [] if listing.photos.filter(ready=True).exists() else [_("Add at least one photo.")]


def organization_verified(listing):
    organization = listing.organization
    if organization is None or organization.is_verified:
        return []
    return [_("%(org)s must be verified by the platform before it can sell.") % {"org": organization.name}]


def grade_required(listing):
    return [] if listing.grade_code else [_("Grade the item first: answer the grading questions of its category.")]


def grade_current_standard(listing):
    """A grade given under another category's standard says nothing here (the category changed)."""
    if not listing.grade_code:
        return []
    other_standard = Assessment.objects.filter(listing=listing, is_current=True).exclude(
        standard__code=listing.category.grading_standard_code
    )
    return [_("The category changed since the item was graded: grade it again.")] if other_standard.exists() else []


register("photo_required", source=PUBLISHING, check=photo_required)
register("grade_required", source=GRADING, check=grade_required)
register("grade_current_standard", source=GRADING, check=grade_current_standard, codes=("grade_outdated",))
register("organization_verified", source=PUBLISHING, check=organization_verified,
         codes=("organization_not_verified",))
