"""alert_receiver: keeps Alertmanager's webhook notifications and shows them (JSON and HTML)."""
