"""Settings of the test run: the project's own, plus a secret key when the environment has none.

Outside DJANGO_DEBUG=true the project's settings refuse to load without DJANGO_SECRET_KEY, as a
production start must. The test process, and the manage.py and gunicorn processes it starts (they
inherit its environment), use this key unless the environment brings its own. It is set here, in
the settings module pytest-django loads (pyproject.toml), because that happens before any
conftest.py runs.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret-" + "k" * 40)

from hippo_site.settings import *  # noqa: F403
