"""`bench/scale_django.py` keeps the section interface `bench/scale.py` drives."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def section() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_scale_django", BENCH / "scale_django.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parsed(module: ModuleType, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_option_is_prefixed_and_has_a_default() -> None:
    module = section()
    parser = argparse.ArgumentParser()
    before = {a.dest for a in parser._actions}
    module.add_arguments(parser)
    added = [a for a in parser._actions if a.dest not in before]
    assert added
    assert all(s.startswith("--django-") for a in added for s in a.option_strings)
    args = parsed(module)
    assert args.django_members == 100


def test_rows_cover_each_layer_the_starlette_reference_and_a_baseline(tmp_path: Path) -> None:
    module = section()
    args = parsed(module, "--django-baseline", str(tmp_path))
    fanout = [label for label, _ in module._specs(args, "fanout")]
    assert fanout[:4] == [*module.DJANGO_LAYERS.values(), module.STARLETTE]
    assert fanout[4].startswith("baseline chanx on Django")
    ping = [spec for _, spec in module._specs(args, "ping")]
    django, starlette = "django_ping:application", "chanx_ping:app"
    assert [s.app for s in ping] == [django, starlette, django]
    assert ping[2].env["PYTHONPATH"] == str(tmp_path.resolve())


@pytest.mark.parametrize(
    "argv",
    [
        ("--django-redis-url", "redis://10.0.0.5:6379/0"),
        ("--django-members", "5000"),
        ("--django-duration", "600"),
    ],
)
def test_measure_refuses_unbounded_or_remote_runs_before_starting_anything(
    argv: tuple[str, str],
) -> None:
    module = section()
    with pytest.raises(SystemExit):
        module.measure(parsed(module, *argv))


def test_ratios_are_against_the_starlette_row_and_markdown_shows_them() -> None:
    module = section()
    rows = [
        {"workload": "w", "server": module.STARLETTE, "cpu_us_per_message": 20.0},
        {"workload": "w", "server": "django", "cpu_us_per_message": 22.0},
        {"workload": "w", "server": "broken", "cpu_us_per_message": None},
    ]
    module._add_ratios(rows, "cpu_us_per_message")
    assert [r["vs_starlette"] for r in rows] == [1.0, 1.1, None]
    text = module.markdown({"title": "T", "metrics": module.METRICS, "rows": rows, "notes": ["n"]})
    assert "| w | django |" in text
    assert "1.10" in text
    assert text.endswith("- n")
