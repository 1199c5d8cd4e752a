"""Per-partner wire tweaks that cannot be detected automatically (the partner profile, set in the partner admin).

Most partner quirks are tolerated automatically (see the README, "Partner quirks we tolerate"). A few are a
matter of what the partner *wants to receive*, which nothing in its answers tells us:

* ``token_encoding``: ``base64`` (OCPI 2.2.1) or ``plain`` for the ``Authorization: Token`` header we send (many
  2.2 platforms never adopted Base64). Inbound, both readings of a header are always tried.
* ``token_type_field``: the key of a token's type in Token objects and ``cdr_token`` (mod_tokens.asciidoc, Token
  object / mod_cdrs.asciidoc, CdrToken): ``type`` per the spec, or ``token_type`` for platforms built on that
  name. We send the partner's key and read it back from its bodies; everything we store uses the spec's.
"""

import copy
from typing import Any

SPEC_TOKEN_TYPE_FIELD = "type"


def _token_holders(body: Any, module: str) -> list[dict]:
    """The dicts that carry a token type in a body of ``module`` (mod_tokens Token, sessions/cdrs CdrToken,
    commands' Token argument)."""
    items = body if isinstance(body, list) else [body]
    holders = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if module == "tokens":
            holders.append(item)
        elif module in ("sessions", "cdrs") and isinstance(item.get("cdr_token"), dict):
            holders.append(item["cdr_token"])
        elif module == "commands" and isinstance(item.get("token"), dict):
            holders.append(item["token"])
    return holders


def rename_token_type(body: Any, *, module: str, source: str, target: str) -> Any:
    """``body`` with the token-type key renamed from ``source`` to ``target`` where the module carries tokens.
    The caller's objects are not modified: changed dicts are copied."""
    if source == target or module not in ("tokens", "sessions", "cdrs", "commands"):
        return body
    if not any(source in holder for holder in _token_holders(body, module)):
        return body
    body = copy.deepcopy(body)
    for holder in _token_holders(body, module):
        if source in holder and target not in holder:
            holder[target] = holder.pop(source)
    return body


def to_partner(body: Any, *, module: str, token_type_field: str) -> Any:
    """What we send: our spec-shaped body in the partner's words."""
    return rename_token_type(body, module=module, source=SPEC_TOKEN_TYPE_FIELD, target=token_type_field)


def from_partner(body: Any, *, module: str, token_type_field: str) -> Any:
    """What we read: the partner's body in the spec's words."""
    return rename_token_type(body, module=module, source=token_type_field, target=SPEC_TOKEN_TYPE_FIELD)
