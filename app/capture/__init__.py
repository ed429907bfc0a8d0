"""Frame sources (cameras, files, replays, synthetic), pairing by timestamp, recording."""
