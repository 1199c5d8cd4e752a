"""The partner-object kit: what every OCPI module whose objects a partner owns and sends us is built on
(transport_and_format.asciidoc, "Client Owned Object Push"; locations, tariffs, tokens, sessions, cdrs).

Pieces (the core never imports a module app; modules import these):

``models.PartnerObject``
    abstract model: ``country_code``, ``party_id``, ``last_updated``, ``source_partner``, ``received_at``, ``raw``;
    ``partner_object_constraints(id_field, name=...)`` makes ``(country_code, party_id, id)`` unique in PostgreSQL,
    case-insensitively on the id (CiString).
    ``source_partner`` is PROTECT: a partner that sent objects cannot be deleted from under them. Foreign keys that
    money will follow (a Session's or CDR's Location/EVSE/Connector, Token, Tariff) must be PROTECT too, and
    EVSEs are never deleted by a receive (a Location PUT that omits one marks it REMOVED, mod_locations.asciidoc).
``receive``
    ``WriteOutcome``/``ReceiveResult`` (the one outcome type), ``partner_parties``/``check_partner_party`` (the
    party rule by role), ``lock_objects``, ``refuse_own``, ``is_stale``, ``storable`` (raw payload),
    ``ingest_page`` (a pulled page on the same rules, batched) and ``upsert_rows`` (a batch upsert through COPY).
``selectors``
    ``by_party``, ``object_get``, ``pick``: reads by party and CiString id.
``views.PartnerObjectReceiverView`` / ``views.PartnerCollectionReceiverView``
    the Receiver endpoint: party check by role, body unwrapping, URL/body id agreement, validation, outcome to HTTP
    status, stale answer, 404 for unknown objects, POST to a collection with a ``Location`` header.
``tests/ocpi/interface.py`` (in the test tree)
    the interface suite a module's tests opt into, with the property-based fuzz test.

How to add a module on the kit (tokens as the example)
------------------------------------------------------
1. ``models.py``: ``class Token(PartnerObject)`` with ``OBJECT_ID_FIELD = "uid"`` (and ``uid``, the module's
   fields); ``Meta.constraints = partner_object_constraints("uid", name="uniq_token")`` (a key that includes
   ``type``, like Token's, adds it to its own constraint); ``makemigrations``.
2. ``ocpi/serializers.py``: the object's serializer (and a PATCH one), validating what the spec defines.
3. ``services.py``: ``token_put_from_partner(*, partner_id, country_code, party_id, uid, data, raw=None)``::

       with transaction.atomic():
           key = object_key(country_code, party_id, uid)
           current = lock_objects(Token.objects.all(), [key], id_field="uid").get(key)
           refuse_own(current, what="Token")
           if is_stale(current, data):
               return ReceiveResult(WriteOutcome.STALE, current)
           ...write, with raw=storable(raw), source_partner_id=partner_id, received_at=now...
           return ReceiveResult(WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED, token)

   and ``tokens_ingest_page = ingest_page(role="EMSP", validate=..., lock=..., write=...)`` for the pull engine.
4. ``selectors.py``: ``token_get(*, country_code, party_id, uid, type=None)`` on ``object_get(by_party(...))``.
5. ``ocpi/views.py``: the receiver is declarative::

       class TokenReceiverView(PartnerObjectReceiverView):
           ocpi_module = "tokens"                  # owner role (EMSP) comes from the registry
           body_ids = {"uid": "uid"}
           selector = staticmethod(selectors.token_get)
           render = staticmethod(token_to_ocpi)
           serializers = {"PUT": TokenSerializer, "PATCH": TokenPatchSerializer}
           services = {"PUT": services.token_put_from_partner, "PATCH": services.token_patch_from_partner}

   Query parameters that are part of the key (Token's ``?type=``) are read by overriding ``url_ids()``.
   CDRs add ``class CdrCollectionView(PartnerCollectionReceiverView)`` with ``services = {"POST": ...}``.
6. ``apps.py``: ``registry.register_data_module("tokens", owner_role="EMSP", ...)`` and the pull handler.
7. tests: a module subclasses ``tests.ocpi.interface.ReceiverInterface`` with its URL, model and a valid-body
   factory, and gets the whole interface suite, the isolation tests and the fuzz test.
"""
