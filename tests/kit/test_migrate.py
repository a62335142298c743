"""The migrations' head as the code knows it (checked without loading the scripts) is Alembic's."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from opengroups.kit import migrate


def test_the_head_the_code_expects_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD
