"""demo_app."""
