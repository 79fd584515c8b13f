from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _require_collected_static_files() -> None:
    """With DEBUG off, static files are served by their hashed names from the manifest that
    `collectstatic` writes; without it every page naming a static file (/api/docs/, the admin)
    would be a 500. Better a server that does not start, saying what to run."""
    from django.conf import settings
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return
    if staticfiles_storage.read_manifest() is None:
        raise ImproperlyConfigured(
            f"Static files are not collected into STATIC_ROOT ({settings.STATIC_ROOT}). Run "
            "`python manage.py collectstatic --no-input` before starting the server (the "
            "Dockerfile does it when it builds the image)."
        )


_require_collected_static_files()
