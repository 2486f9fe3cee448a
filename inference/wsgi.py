"""The WSGI application gunicorn serves: Django behind `inference.fast_path.PredictFastPath`.

`hippo_site/gunicorn.conf.py` points at `inference.wsgi:application`; `hippo_site.wsgi` (plain
Django) stays what `runserver` and the test servers use. Django is set up before the fast path is
imported, because that imports models.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
django_application = get_wsgi_application()

from inference.fast_path import PredictFastPath  # noqa: E402 - needs Django set up first

application = PredictFastPath(django_application)
