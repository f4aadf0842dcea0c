"""Every page's integrations list keeps bahk's beat monitoring.

Passed to init_sentry as `integrations=`, a snippet's INTEGRATIONS replaces bahk's own list, so
it must keep CeleryIntegration(monitor_beat_tasks=True): beat still sends its in_progress
check-in for an entry the snippet does not exclude.
"""

import importlib
from pathlib import Path

import pytest

from harness.beat import apply_beat_entries

SNIPPETS = Path(__file__).resolve().parents[1] / "snippets"


def snippets_with_integrations() -> list[str]:
    """The page snippets that define INTEGRATIONS, as module names."""
    return [
        f"snippets.{path.parent.name}.{path.stem}"
        for path in sorted(SNIPPETS.glob("*/*.py"))
        if "\nINTEGRATIONS = [" in path.read_text()
    ]


def test_the_snippets_are_found():
    assert "snippets.redis.cache_spans" in snippets_with_integrations()
    assert "snippets.crons.exclude_beat_tasks" in snippets_with_integrations()


@pytest.mark.parametrize("module", snippets_with_integrations())
def test_a_pages_integrations_keep_bahks_beat_monitoring(
    sentry_init, recorder, celery_worker, module
):
    sentry_init(integrations=importlib.import_module(module).INTEGRATIONS)

    apply_beat_entries(celery_worker, "daily-fast-notifications", queue="no-worker-running")

    assert [c["status"] for c in recorder.check_ins()] == ["in_progress"]
