"""What an operator runs and watches: health and readiness, metrics, housekeeping."""
