"""The response models: pydantic plugins installed beside aitasker do not see the API's data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import aitasker, clean_env

SPY = """
import os
from pathlib import Path

Path(os.environ["SPY_MARKER"]).write_text("loaded")


class Spy:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = Spy()
"""


@pytest.fixture
def spy_plugin(tmp_path: Path) -> dict[str, str]:
    """A pydantic plugin installed on PYTHONPATH that leaves a marker file when loaded."""
    (tmp_path / "pydantic_spy.py").write_text(SPY)
    dist = tmp_path / "pydantic_spy-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pydantic-spy\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pydantic]\nspy = pydantic_spy:plugin\n")
    return {"PYTHONPATH": str(tmp_path), "SPY_MARKER": str(tmp_path / "loaded")}


def test_pydantic_plugins_are_not_loaded(spy_plugin: dict[str, str]) -> None:
    """Looking for them costs every command an entry-point scan, and a plugin would see
    every response; the CLI uses none."""
    completed = aitasker("--sandbox", "agents", "list", "-o", "id", env=clean_env(**spy_plugin))

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip()
    assert not Path(spy_plugin["SPY_MARKER"]).exists()


def test_the_users_own_plugin_setting_is_respected(spy_plugin: dict[str, str]) -> None:
    """PYDANTIC_DISABLE_PLUGINS naming other plugins, as pydantic documents, loads this one."""
    env = clean_env(**spy_plugin, PYDANTIC_DISABLE_PLUGINS="some-other-plugin")

    completed = aitasker("--sandbox", "agents", "list", "-o", "id", env=env)

    assert completed.returncode == 0, completed.stderr
    assert Path(spy_plugin["SPY_MARKER"]).read_text() == "loaded"
