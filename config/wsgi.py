"""WSGI entry point, e.g. `gunicorn config.wsgi`."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load what the first requests would (scenarios, templates, AWS's catalogue), then keep all of
# it, which lives as long as the process, out of the garbage collector's full scans: see
# lessons/warm.py.
from lessons.warm import warm_up  # noqa: E402 -- needs the apps that get_wsgi_application set up

warm_up()
gc.freeze()
