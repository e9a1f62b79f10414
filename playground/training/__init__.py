"""Training: the config (one bounds table, the URL's codec), the trainer (one path) and its history."""
