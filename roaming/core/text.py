"""Words for counts in messages people read ("1 location", "2 locations", "1 of 3 rows is invalid")."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun that agrees with it: ``plural(1, "EVSE")`` is "1 EVSE", ``plural(2, "EVSE")``
    "2 EVSEs"; irregular plurals are given (``plural(2, "entry", "entries")``)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def is_are(count: int) -> str:
    return "is" if count == 1 else "are"
