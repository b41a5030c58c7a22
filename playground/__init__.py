"""playground: runs the stack natively (demo_app, alert receiver, Prometheus, Alertmanager)."""
