"""The exit statuses of the `playground` command and the `python -m` tools, in one place."""

EXIT_OK = 0
# The command could not do its job, or did it and found a problem (a failed check, a stale file).
EXIT_FAILED = 1
