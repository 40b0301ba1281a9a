"""The public comments app (spec: "Notifications API"): anonymous short comments."""
