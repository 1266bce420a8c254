"""Domain errors that services raise; the API turns them into the one error shape.

Services stay free of HTTP: they raise one of these with a message a user can act on, and
`marketplace.api.errors.exception_handler` picks the status from the class.
"""


class DomainError(Exception):
    """A rule of the domain refused the action (HTTP 400).

    `field` names the input the message is about; `errors` ({key: [messages]}) lists several
    reasons at once, each under a stable key (e.g. the codes of the publish rules that failed).
    """

    status_code = 400
    default_code = "invalid"

    def __init__(self, message, *, code=None, field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.errors = errors


class Conflict(DomainError):
    """The action does not fit the object's current state, e.g. an illegal transition (HTTP 409)."""

    status_code = 409
    default_code = "conflict"


class NotAllowed(DomainError):
    """The actor may not do this to this object (HTTP 403)."""

    status_code = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    """The object is gone, e.g. another request deleted the row this one was about to lock (HTTP 404)."""

    status_code = 404
    default_code = "not_found"
