"""WSGI entry point (granian ``--interface wsgi config.wsgi:application``)."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Python's cyclic garbage collector walks every tracked object on a full collection: about 140,000 once Django, DRF
# and our apps are loaded, some 70 ms on this kind of machine, which lands on whichever request triggered it (the
# p99 of the hot OCPI paths). Those objects live as long as the process, so the URLconf (every view) is loaded now
# and the whole start-up heap is frozen out of the collector's reach; collections then walk only what requests make.
import_module(settings.ROOT_URLCONF)
gc.freeze()
