"""TPMRI Live: capture, synchronisation, the inference worker and the Qt window."""
