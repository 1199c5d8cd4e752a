"""Finance's export of the CDR list (CSV/XLSX through django-import-export): one line per CDR, the columns an
invoice run needs, money as plain decimals in the CDR's currency."""

from import_export import fields, resources

from roaming.cdrs.models import Cdr


class CdrResource(resources.ModelResource):
    partner = fields.Field(attribute="partner__name", column_name="partner")
    token_uid = fields.Field(attribute="cdr_token", column_name="token_uid")
    contract_id = fields.Field(attribute="cdr_token", column_name="contract_id")
    location_id = fields.Field(attribute="cdr_location", column_name="location_id")
    evse_id = fields.Field(attribute="cdr_location", column_name="evse_id")

    class Meta:
        model = Cdr
        fields = (
            "direction",
            "partner",
            "country_code",
            "party_id",
            "cdr_id",
            "start_date_time",
            "end_date_time",
            "session_id",
            "token_country_code",
            "token_party_id",
            "token_uid",
            "contract_id",
            "auth_method",
            "location_id",
            "evse_id",
            "location_country",
            "currency",
            "total_energy",
            "total_time",
            "total_parking_time",
            "total_cost_excl_vat",
            "total_cost_incl_vat",
            "total_fixed_cost_excl_vat",
            "total_energy_cost_excl_vat",
            "total_time_cost_excl_vat",
            "total_parking_cost_excl_vat",
            "total_reservation_cost_excl_vat",
            "credit",
            "credit_reference_id",
            "invoice_reference_id",
            "review_status",
            "price_check",
            "price_difference",
        )
        export_order = fields

    def dehydrate_token_uid(self, cdr):
        return (cdr.cdr_token or {}).get("uid", "")

    def dehydrate_contract_id(self, cdr):
        return (cdr.cdr_token or {}).get("contract_id", "")

    def dehydrate_location_id(self, cdr):
        return (cdr.cdr_location or {}).get("id", "")

    def dehydrate_evse_id(self, cdr):
        return (cdr.cdr_location or {}).get("evse_id", "")
