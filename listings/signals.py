"""Signals other apps listen to, so that listings never import them.

listing_changed(sender=Listing, listing=<Listing>, fields=<set of str>, deleted=<bool>)
    Sent only by listings/ (listings.services and listings.lifecycle; a test checks that no
    other app sends it) inside the transaction, after every change that affects a listing's
    searchability or its indexed fields: create, edit, state change, grade change, photo change,
    deletion, and facts other apps report through `listings.lifecycle.reevaluate` (e.g. its
    certification or data-erasure record). Receivers that do slow work (search indexing) must
    defer it with transaction.on_commit, so a rolled-back change is never acted on.
"""
from django.dispatch import Signal

listing_changed = Signal()
