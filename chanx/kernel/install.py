"""How to install an optional part of chanx: the one place the command is spelled.

This chanx is installed from its repository, not from the public package index (where the
name ``chanx`` belongs to a different project, whose releases include a 0.1.0). In a
checkout, ``python3 dev.py wheels`` builds chanx, every plugin distribution and the
dependencies of every extra into ``dist/``; ``--no-index`` then keeps pip from picking the
index's ``chanx`` instead.
"""

from __future__ import annotations

import importlib

__all__ = ["install_command", "install_hint", "require_modules"]


def install_command(extra: str) -> str:
    """The pip command that installs chanx with `extra`, from a checkout's ``dist/``."""
    return f'pip install --no-index --find-links dist "chanx[{extra}]"'


def install_hint(extra: str) -> str:
    """`install_command(extra)` followed by where ``dist/`` comes from."""
    where = "dist/ is built by `python3 dev.py wheels` in chanx's repository"
    return f"{install_command(extra)} ({where})"


def require_modules(feature: str, modules: tuple[str, ...], extra: str) -> None:
    """Import `modules`, or raise the `ModuleNotFoundError` that names the extra to install.

    Args:
        feature: What needs them, for the message (e.g. ``"chanx.fast_channels"``).
        modules: Top-level modules the feature imports.
        extra: The chanx extra that installs them.

    Raises:
        ModuleNotFoundError: One of `modules` is not installed.
    """
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            raise ModuleNotFoundError(
                f"{feature} needs {module}, which is not installed. Install it with "
                f"{install_hint(extra)}.",
                name=module,
            ) from None
