"""alert_receiver/README.md documents every setting with its real default."""

import re
from pathlib import Path

from alert_receiver.settings import Settings

README = Path(__file__).resolve().parents[2] / "alert_receiver" / "README.md"


def test_every_setting_is_in_the_readme_with_its_default() -> None:
    rows = {
        name: default
        for name, default in re.findall(
            r"^\| `(ALERT_RECEIVER_\w+)` \| ([^|]+) \|", README.read_text(), re.M
        )
    }

    assert set(rows) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, int | str) and not isinstance(default, bool):
            # The first value in backticks is the default itself; a size may follow in words.
            assert re.match(rf"`{re.escape(str(default))}`", rows[name]), (name, rows[name])
