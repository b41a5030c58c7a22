"""playground: the native runner, scenarios and teaching tools around the monitoring stack.

The package is layered; a module imports only from its own subpackage or the ones below it
(tests/playground/test_layers.py checks this):

    cli        the one `playground` command and its subcommands
    teaching   labs and drills: exercises checked against the live stack
    scenarios  load + fault scenarios: plan, predictions, live timeline, report, plot
    native     the native stack: processes, ports, tools, rendered configs
    configs    reading the repository's configs: rule profiles and their durations
    core       settings, errors, HTTP clients, polling, paths, networking
"""
