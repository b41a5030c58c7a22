"""One router per resource: messages, customers, health, admin."""
