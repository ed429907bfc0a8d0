"""Reference trackers to compare TPMRI against on the same sequences and metrics."""
