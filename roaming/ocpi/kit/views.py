"""The receiver view base of partner-owned objects (transport_and_format.asciidoc, "Client Owned Object Push";
each module's "Receiver Interface").

A module's receiver view declares what differs and inherits the protocol:

* the party check by role: the URL's ``{country_code}/{party_id}`` must be one of the caller's roles that owns the
  module (``owner_role``, by default the owner the module registered with ``registry.register_data_module``),
  else 404 / 2001, whatever the method;
* the body: a single object wrapped in a list is taken for the object (parse leniently), anything but a JSON
  object is 2001; ids the URL names are filled into a PUT body that omits them and must agree with the body
  (CiStrings, compared case-insensitively) on every method, else 2001 naming the member;
* validation by the method's serializer (a DRF serializer class, or a callable returning validated data); errors
  answer 2001 naming the field (``evses[0].connectors[1].max_voltage: ...``) and change nothing;
* the write by the method's service, called keyword-only with ``partner_id``, ``country_code``, ``party_id``, the
  URL ids, ``data`` and (for methods in ``keep_raw``) ``raw``, the body as sent; it returns a ``WriteOutcome`` or a
  ``ReceiveResult``: CREATED answers 201, the others 200, STALE with a status message saying it was ignored. PUT,
  PATCH and DELETE replies carry no ``data`` (transport_and_format errata: "send no data where none is defined");
* GET: the selector's object rendered, or 404 with ``not_found``'s status code (2000 by default; a module with its
  own code, e.g. 2003 Unknown Location, maps its domain error in ``errors``);
* POST to the collection (``PartnerCollectionReceiverView``, CDRs): the party comes from the body; CREATED and
  UNCHANGED (a repeated identical id) answer 201 with a ``Location`` header naming ``GET {url}/{key}`` of the stored
  object; a different object under a held id is the service's ``InvalidInput`` (2001).
"""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rest_framework.serializers import BaseSerializer

from roaming.ocpi import registry
from roaming.ocpi.exceptions import InvalidParameters, MethodNotAllowed, NotFound
from roaming.ocpi.fields import cistring_equal
from roaming.ocpi.kit.receive import ReceiveResult, WriteOutcome
from roaming.ocpi.serializers import validate_reused
from roaming.ocpi.views import OcpiView

STALE_MESSAGE = "Acknowledged and ignored: last_updated is older than the object we hold"


def validate_with(validator, body: Mapping, *, context: dict | None = None) -> dict:
    """Run a module's validator on a body: a DRF serializer class (errors raise DRF ``ValidationError``, which the
    OCPI handler answers with 2001 naming the field) or a callable ``validator(body) -> data``."""
    if isinstance(validator, type) and issubclass(validator, BaseSerializer):
        return validate_reused(validator, body, **(context or {}))
    return validator(body)


class PartnerObjectReceiverView(OcpiView):
    """Base of a Receiver endpoint over objects a partner owns, at ``{country_code}/{party_id}/{id}[/{sub_id}...]``.

    Declare on the subclass (a method without a service, or GET without a selector, answers 405):
    """

    #: our role that does NOT own the data is the one serving this; the caller must hold ``owner_role`` (CPO, EMSP)
    owner_role: ClassVar[str | None] = None
    #: URL keyword -> body member that must agree with it (e.g. ``{"location_id": "id"}``); country_code and
    #: party_id are compared too on objects that carry them (``body_has_party``)
    body_ids: ClassVar[dict[str, str]] = {}
    #: whether the body carries ``country_code``/``party_id`` (top-level objects do, sub-objects do not)
    body_has_party: ClassVar[bool] = True
    #: ``selector(country_code=, party_id=, **url_ids) -> object | None``: the partner's object, for GET
    selector: ClassVar[Callable[..., Any] | None] = None
    #: ``render(object) -> dict``: the OCPI JSON of a stored object, for GET
    render: ClassVar[Callable[[Any], dict] | None] = None
    #: method -> serializer class or ``callable(body) -> data``
    serializers: ClassVar[dict[str, Any]] = {}
    #: method -> service (see the module docstring for its keyword arguments)
    services: ClassVar[dict[str, Callable[..., Any]]] = {}
    #: methods whose service receives ``raw``, the body as sent
    keep_raw: ClassVar[tuple[str, ...]] = ("PUT",)
    #: methods whose body gets the ids it omits from the URL (a complete object is named by its URL)
    fill_ids: ClassVar[tuple[str, ...]] = ("PUT",)
    #: answer to an unknown object on GET, and the object's name in its message
    not_found: ClassVar[type[NotFound]] = NotFound
    object_name: ClassVar[str] = "object"
    #: domain error class -> OCPI error class, for errors with a module-specific status code
    errors: ClassVar[dict[type[Exception], type[Exception]]] = {}

    def get_owner_role(self) -> str:
        return self.owner_role or registry.owner_role(self.ocpi_module)

    def handle_exception(self, exc):
        for domain_error, ocpi_error in self.errors.items():
            if isinstance(exc, domain_error):
                exc = ocpi_error(getattr(exc, "message", str(exc)))
                break
        return super().handle_exception(exc)

    def party(self, country_code: str, party_id: str) -> tuple[str, str]:
        return self.check_party(country_code, party_id, role=self.get_owner_role())

    def body(self, *, url: Mapping[str, str], fill: bool) -> tuple[dict, Any]:
        """The request's object (a copy with the URL's ids filled in, agreed with the URL) and the body as sent."""
        sent = self.request.data
        if isinstance(sent, list) and len(sent) == 1:  # a single object wrapped in a list: be lenient
            sent = sent[0]
        if not isinstance(sent, Mapping):
            raise InvalidParameters("request body: a JSON object is required")
        body = dict(sent)
        pairs = dict(self.body_ids)
        if self.body_has_party:
            pairs = {"country_code": "country_code", "party_id": "party_id", **pairs}
        for url_name, member in pairs.items():
            expected = url[url_name]
            if body.get(member) is None:
                if fill:
                    body[member] = expected
            elif not isinstance(body[member], str) or not cistring_equal(body[member], expected):
                raise InvalidParameters(
                    f"{member}: {body[member]!r} does not match the {url_name} {expected!r} in the URL"
                )
        return body, sent

    def answer(self, result) -> Any:
        outcome = result.outcome if isinstance(result, ReceiveResult) else result
        if outcome == WriteOutcome.STALE:
            return self.ok(status_message=STALE_MESSAGE)
        return self.ok(http_status=201 if outcome == WriteOutcome.CREATED else 200)

    def url_ids(self, **ids) -> dict[str, str]:
        """The object's ids from the URL; override to add key parts carried in the query (Token's ``?type=``)."""
        return ids

    def write(self, method: str, country_code: str, party_id: str, **ids):
        if method not in self.services:
            raise MethodNotAllowed(f"{method} is not part of this Receiver interface")
        ids = self.url_ids(**ids)
        country_code, party_id = self.party(country_code, party_id)
        url = {"country_code": country_code, "party_id": party_id, **ids}
        extra = {}
        if method == "DELETE":
            data = None
        else:
            body, sent = self.body(url=url, fill=method in self.fill_ids)
            data = validate_with(self.serializers[method], body, context={"method": method})
            if method in self.keep_raw:
                extra["raw"] = sent
        result = self.services[method](
            partner_id=self.caller.partner_id, country_code=country_code, party_id=party_id, data=data, **ids, **extra
        )
        return self.answer(result if result is not None else WriteOutcome.UPDATED)

    def get(self, request, country_code: str, party_id: str, **ids):
        if self.selector is None:
            raise MethodNotAllowed("GET is not part of this Receiver interface")
        country_code, party_id = self.party(country_code, party_id)
        ids = self.url_ids(**ids)
        obj = type(self).selector(country_code=country_code, party_id=party_id, **ids)
        if obj is None:
            raise self.not_found(f"Unknown {self.object_name} {'/'.join([country_code, party_id, *ids.values()])}")
        return self.ok(type(self).render(obj))

    def put(self, request, **kwargs):
        return self.write("PUT", **kwargs)

    def patch(self, request, **kwargs):
        return self.write("PATCH", **kwargs)

    def delete(self, request, **kwargs):
        return self.write("DELETE", **kwargs)


class PartnerCollectionReceiverView(PartnerObjectReceiverView):
    """``POST {url}``: a partner posts a new object to the collection (mod_cdrs.asciidoc, Receiver POST).

    The party is the body's ``country_code``/``party_id`` (checked by role like a URL's); the service's result must
    carry the stored object: CREATED, or UNCHANGED for a repeated identical delivery, answer 201 with
    ``Location: {url}/{object_path(obj)}``, which the module's ``PartnerObjectReceiverView`` serves.
    """

    body_has_party = False

    def object_path(self, obj) -> str:
        return obj.object_key

    def post(self, request):
        if "POST" not in self.services:
            raise MethodNotAllowed("POST is not part of this Receiver interface")
        body, sent = self.body(url={}, fill=False)
        data = validate_with(self.serializers["POST"], body, context={"method": "POST"})
        country_code, party_id = self.party(data["country_code"], data["party_id"])
        result = self.services["POST"](
            partner_id=self.caller.partner_id, country_code=country_code, party_id=party_id, data=data, raw=sent
        )
        if result.outcome == WriteOutcome.STALE:
            return self.answer(result)
        url = registry.endpoint_url(self.caller.version or "2.2.1", self.ocpi_module, "RECEIVER")
        return self.ok(http_status=201, headers={"Location": f"{url}/{self.object_path(result.obj)}"})
