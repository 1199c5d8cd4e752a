"""Shared pieces of both sides: the CommandResult body, DisplayText, the clock."""

import datetime as dt

from django.utils import timezone

MODULE = "commands"


def now() -> dt.datetime:
    return timezone.now()


def display_text(text: str) -> list[dict]:
    """A DisplayText list (types.asciidoc) with one English text, or none."""
    return [{"language": "en", "text": text[:512]}] if text else []


def first_text(message: list | None) -> str:
    """The first text of a DisplayText list, for logs and the admin."""
    for item in message or []:
        if isinstance(item, dict) and item.get("text"):
            return str(item["text"])
    return ""
