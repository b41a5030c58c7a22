"""A real demo_app (uvicorn, own process, free port) for the tests of this folder."""

# Fixtures are found by name in a conftest; both are defined once, in tests/support.
from tests.support.demo_app_process import demo_app, healthy_demo_app  # noqa: F401
