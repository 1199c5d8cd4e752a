from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    """Reconciliation: per partner, module and period, where we and the partner disagree, and the repairs that are
    safe. A back-office feature built on the module apps (the OCPI core never imports it)."""

    name = "roaming.reconciliation"
    label = "reconciliation"
    verbose_name = "Reconciliation"
