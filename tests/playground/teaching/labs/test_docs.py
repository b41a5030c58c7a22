"""docs/labs/: one page per lab, in order, each with its goal, commands, timings per alert
profile and the verify command that the code really has."""

import re

import pytest

from playground.teaching.labs import LABS, LABS_DIR


def test_every_lab_has_a_page_and_the_readme_links_them_in_order() -> None:
    readme = (LABS_DIR / "README.md").read_text()
    links = re.findall(r"\]\((\d\d-[a-z-]+\.md)\)", readme)
    assert links == [lab.page.name for lab in LABS]
    assert [lab.number for lab in LABS] == list(range(1, 8))
    for lab in LABS:
        assert lab.page.is_file(), lab.page


@pytest.mark.parametrize("lab", LABS, ids=[lab.slug for lab in LABS])
def test_each_page_has_a_goal_commands_and_its_verify(lab) -> None:
    text = lab.page.read_text()
    assert text.startswith(f"# Lab {lab.number}: ")
    assert "**Goal**" in text
    assert "```sh" in text
    assert f"playground lab verify {lab.number}" in text
    assert re.search(r"^## .*Verify", text, re.MULTILINE)


@pytest.mark.parametrize("lab", LABS, ids=[lab.slug for lab in LABS])
def test_each_page_says_what_happens_under_both_profiles(lab) -> None:
    text = lab.page.read_text()
    assert "realistic" in text, f"{lab.slug} says nothing of the realistic profile"


def test_the_commands_the_pages_use_exist() -> None:
    from typer.main import get_command

    from playground.cli.main import app

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    used = {
        command
        for lab in LABS
        for command in re.findall(r"playground ([a-z-]+)", lab.page.read_text())
    }
    assert used <= commands, used - commands


def test_lab_6_states_the_thresholds_its_saturation_test_asserts() -> None:
    """Section 3 quotes what `make test-saturation` requires; the numbers are the test's own."""
    from tests.loadtest import test_saturation as saturation

    text = " ".join(saturation.LAB_PAGE.read_text().split())
    gap = f"by more than {saturation.GAP_FACTOR:g} times and {saturation.GAP_SECONDS * 1000:g} ms"
    assert gap in text
    assert f"Little's law within {saturation.LITTLE_TOLERANCE:.0%}" in text
    assert f"climbs by more than {saturation.SLOWDOWN_FACTOR:g} times" in text
    # The fixed cost the page explains is the one its command sets.
    cost_ms = saturation.LOOKUP_COST_SECONDS * 1000
    assert f"for {cost_ms:g} ms in every API request" in text
    assert f"at most {1 / saturation.LOOKUP_COST_SECONDS:g} requests a second" in text
