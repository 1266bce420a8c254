"""Domain actions of the certification app, one module per thing they govern; each runs in one
transaction and leaves an audit record.

certificates  issue_certificate, suspend_certificate, revoke_certificate (one action:
              withdraw_certificate), reinstate_certificate, expire_certificate,
              expire_due_certificates
documents     add_certificate_document
trace         create_unit, append_trace_event
links         link_listing_certificate
erasure       record_data_erasure

Certification never writes a Listing: a fact that the rules of being on sale read (a
certificate's status, a unit's final test, a listing's link or erasure record) is reported with
`listings.lifecycle.reevaluate` / `reevaluate_many`, and listings suspends or reinstates
(listings.eligibility, sources "certificate" and "compliance").
"""
from certification.services.certificates import (
    expire_certificate,
    expire_due_certificates,
    issue_certificate,
    reinstate_certificate,
    revoke_certificate,
    suspend_certificate,
    withdraw_certificate,
)
from certification.services.documents import add_certificate_document
from certification.services.erasure import record_data_erasure
from certification.services.links import link_listing_certificate
from certification.services.trace import append_trace_event, create_unit

__all__ = [
    "add_certificate_document",
    "append_trace_event",
    "create_unit",
    "expire_certificate",
    "expire_due_certificates",
    "issue_certificate",
    "link_listing_certificate",
    "record_data_erasure",
    "reinstate_certificate",
    "revoke_certificate",
    "suspend_certificate",
    "withdraw_certificate",
]
