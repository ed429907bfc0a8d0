"""The tracker: crops, the model step, decoding and mapping back to image pixels."""
