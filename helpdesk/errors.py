"""Domain errors raised by services; pages and the API turn them into status codes."""


class DomainError(Exception):
    """A refusal a user can understand; carries the HTTP status that means the same."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, **self.extra}


class InvalidInput(DomainError):
    """Bad values; `fields` maps field names to lists of messages."""

    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    """Something the caller may not see, or that does not exist: the two look the same."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """An illegal or concurrent transition: the body tells the current state and options."""

    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"
