"""The installed distribution, seen for real: `chanx plugins`, and the hint once it is gone."""

from __future__ import annotations

from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "authenticator"
    name = "drf"
    entry_point = "auth-drf"
    distribution = "chanx-auth-drf"

    def consumer_source(self) -> str:
        """Using the DRF authenticator needs configured Django settings, as in a project."""
        return (
            "import django\n"
            "from django.conf import settings\n"
            "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', "
            "'django.contrib.auth', 'rest_framework'])\n"
            "django.setup()\n" + super().consumer_source()
        )
