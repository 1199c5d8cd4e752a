"""Domain errors raised by services. Interfaces (OCPI views, admin, tasks) translate them in one place each.

Each carries a message that is safe to show to the user or partner who caused it (pretix style).
"""


class DomainError(Exception):
    """Base class of every business-rule failure a service can raise."""

    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


class ObjectNotFound(DomainError):
    default_message = "Object not found."


class InvalidInput(DomainError):
    default_message = "Invalid or missing parameters."


class StateConflict(DomainError):
    """The object is not in a state that allows the operation (e.g. registering an already registered partner)."""

    default_message = "The object is not in a state that allows this operation."


class PartnerUnreachable(DomainError):
    default_message = "The partner's API could not be used."


class VersionMismatch(DomainError):
    """No OCPI version both parties support (OCPI 3002)."""

    default_message = "No mutually supported OCPI version."


class EndpointsMissing(DomainError):
    """The peer lacks the endpoints we need (OCPI 3003)."""

    default_message = "No matching endpoints or expected endpoints missing."
