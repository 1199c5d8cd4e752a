"""Base models with no protocol knowledge."""

from django.db import models


class TimeStampedModel(models.Model):
    """Our own bookkeeping clock: when a row was created and last written here (never a partner's claim)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True
