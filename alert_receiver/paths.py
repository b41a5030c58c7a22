"""URL paths other parts link to (the rules' runbook_url, the page's links)."""

# Where docs/runbooks.md is served; every rule's runbook_url is
# http://127.0.0.1:<ALERT_RECEIVER_PORT default>/runbooks#<alertname in lower case>.
RUNBOOKS_PATH = "/runbooks"
