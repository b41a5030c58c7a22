"""alert_receiver."""
