"""The installed distribution, seen for real: `chanx plugins`, and the hint once it is gone."""

from __future__ import annotations

from chanx.kernel.install import install_hint
from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "observer"
    name = "otel"
    entry_point = "observer-otel"
    distribution = "chanx-otel"

    def test_once_uninstalled_the_message_says_how_to_install_it(self) -> None:
        result = self.run_python(self.hide_entry_point() + self.consumer_source())
        assert (
            "ChatConsumer.observers = 'otel': no observer named 'otel': it is provided by the "
            f"chanx-otel distribution; install it with {install_hint('otel')}"
        ) in result.stderr
