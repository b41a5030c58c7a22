"""The incident game: the catalogue (docs/incidents/incidents.yaml), grading, and the game."""
