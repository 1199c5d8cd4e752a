"""The internal REST API our own systems (the operator's CSMS) call: DRF conventions, staff API keys
(``roaming.core.api_keys``)."""
