"""HTTP routes of the alert receiver, one module per resource."""
