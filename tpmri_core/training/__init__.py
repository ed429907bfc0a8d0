"""Training: clips, augmentation, losses and the loop."""
