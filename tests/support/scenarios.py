"""The scenario runner's view of a native stack the tests started."""

from playground.native.stack import NativeStack
from playground.scenarios.runner import Target


def target_of(stack: NativeStack) -> Target:
    """The running stack as `playground scenario` addresses it, with its own profile."""
    urls = stack.urls
    return Target(
        name="native",
        demo_app=urls.demo_app,
        prometheus=urls.prometheus,
        alertmanager=urls.alertmanager,
        alert_receiver=urls.alert_receiver,
        admin_token=stack.admin_token,
        profile=stack.settings.ALERT_PROFILE,
    )
