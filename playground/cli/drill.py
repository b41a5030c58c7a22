"""`playground drill [NAME]`: list the interview drills, or run one's PromQL against the stack.

The drills themselves (docs/drills/drills.yaml, their queries and shapes) are
playground/teaching/drills.py; this module only reads the command line and prints.
"""

from typing import Annotated

import typer

from playground.cli.options import load_settings
from playground.configs.rule_profiles import live_profile
from playground.core.clients import PrometheusClient, StackApiError, StackUnavailableError
from playground.core.errors import PlaygroundError
from playground.teaching.drills import format_drill, load_drills, run_query

app = typer.Typer()


@app.command(
    help="Without NAME, list the drills. With NAME, print the question and the model "
    "answer and run the drill's PromQL against the running Prometheus, each live "
    "result beside the shape the answer describes.",
    short_help="interview drills: list them, or run one's PromQL against the live stack",
)
def drill(
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="a drill from the list")
    ] = None,
) -> None:
    """List the drills, or run one against the live stack."""
    settings = load_settings()
    drills = load_drills()
    if not name:
        width = max(len(each) for each in drills)
        for each, listed in drills.items():
            print(f"{each:<{width}}  {listed.title}")
        print("\nRun one: playground drill NAME")
        return
    if name not in drills:
        raise PlaygroundError(f"No drill {name!r}. Drills: {', '.join(drills)}.")
    chosen = drills[name]
    url = f"http://127.0.0.1:{settings.PROMETHEUS_PORT}"
    with PrometheusClient(url) as prometheus:
        try:
            profile = live_profile(prometheus) or settings.ALERT_PROFILE
            results = [run_query(prometheus, query, profile) for query in chosen.queries]
        except StackUnavailableError:
            print(format_drill(chosen, None, settings.ALERT_PROFILE))
            raise PlaygroundError(
                f"Prometheus is not answering at {url}: start the stack with `playground up` "
                "to see the live results."
            ) from None
        except StackApiError as exc:
            raise PlaygroundError(f"A query of {chosen.name} failed: {exc}") from None
    print(format_drill(chosen, results, profile))
