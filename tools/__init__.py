"""Developer tools of provider-port (not part of the run-time package)."""
