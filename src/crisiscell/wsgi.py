"""WSGI entry point (waitress on a laptop, gunicorn on a server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisiscell.settings")
application = get_wsgi_application()
