"""How `make test` spreads the suite over pytest-xdist's workers (`-n N --dist loadgroup`).

Most of the suite's time is waiting: for rate windows to fill, `for` durations to pass and
Alertmanager's group_wait, on real processes. Files run side by side, so those waits
overlap. A file is the unit: its tests keep their order and share their module fixtures,
and a worker's session fixtures (the e2e tests' native stack) serve every file it runs.
A file whose tests each start their own processes says so (`own_processes`), and its
tests are spread one by one. A test that must share a worker with others across files names
a group itself (`@pytest.mark.xdist_group("name")`). Without xdist (`pytest -p no:xdist`, or `-n 0`)
this does nothing.
"""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: xdist reads the groups in its own hook of this name.
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        alone = item.get_closest_marker("own_processes") is not None
        group = item.nodeid if alone else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
