"""Reference bots the benchmark measures ours against; each runs as its own script and process."""
