"""Every alert's runbook_url opens its own section of docs/runbooks.md, served by a real
receiver process (issue 12, "Runbook links that work"), and the page is safe HTML."""

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from alert_receiver.runbooks import render_markdown

RULES = Path(__file__).resolve().parents[2] / "prometheus" / "rules"


def _alerts() -> Iterator[tuple[str, str, str]]:
    for rules_file in sorted(RULES.glob("*/*.yml")):
        for group in yaml.safe_load(rules_file.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    profile = rules_file.parent.name
                    yield profile, rule["alert"], rule["annotations"]["runbook_url"]


class _Headings(HTMLParser):
    """The text of every element that carries an id, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(dict(attrs).get("id"))
        if self._open[-1]:
            self.by_id[self._open[-1]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in filter(None, self._open):
            self.by_id[element_id] += data


def test_every_profile_has_alerts_with_runbook_links() -> None:
    profiles = {profile for profile, _, _ in _alerts()}

    assert profiles == {"lab", "realistic"}


def test_every_alerts_runbook_link_opens_its_own_section_on_a_real_receiver(
    start_receiver: Callable[..., Any],
) -> None:
    receiver = start_receiver()
    pages: dict[str, _Headings] = {}

    for profile, alertname, runbook_url in _alerts():
        link = urlsplit(runbook_url)
        # The rules name the default address; this receiver runs on a free port.
        response = httpx.get(f"{receiver.url}{link.path}", trust_env=False)
        assert response.status_code == 200, (profile, alertname, runbook_url)
        if link.path not in pages:
            pages[link.path] = _Headings()
            pages[link.path].feed(response.text)
        headings = pages[link.path]
        assert link.fragment in headings.by_id, (profile, alertname, runbook_url)
        assert headings.by_id[link.fragment].strip() == alertname, (profile, runbook_url)


def test_a_missing_runbooks_file_is_a_404_json(client: Any, tmp_path: Path) -> None:
    client.app.state.settings.ALERT_RECEIVER_RUNBOOKS_FILE = tmp_path / "nowhere.md"

    response = client.get("/runbooks")

    assert response.status_code == 404
    assert "runbooks file" in response.json()["detail"]


@pytest.mark.parametrize(
    ("markdown", "unsafe"),
    [
        ("## <script>alert(1)</script>", "<script>"),
        ("Click [here](javascript:alert(1)).", 'href="javascript:'),
        ("```\n</pre><script>x</script>\n```", "<script>"),
        ("- `<img src=x onerror=alert(1)>`", "<img"),
    ],
    ids=["heading", "link", "code", "inline-code"],
)
def test_the_rendered_runbooks_carry_no_markup_from_the_text(markdown: str, unsafe: str) -> None:
    assert unsafe not in render_markdown(markdown)


def test_headings_get_githubs_anchors_and_code_blocks_keep_their_lines() -> None:
    html = render_markdown("## DemoAppLLMSpendOverBudget\n\n```promql\na\n# not a heading\n```")

    assert '<h2 id="demoappllmspendoverbudget">DemoAppLLMSpendOverBudget</h2>' in html
    assert "<pre><code>a\n# not a heading</code></pre>" in html


def test_whole_line_comments_are_hidden_as_on_github() -> None:
    html = render_markdown("<!-- begin: timings -->\nText.\n<!-- end: timings -->")

    assert html == "<p>Text.</p>"
