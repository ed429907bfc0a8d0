"""Thermal-to-RGB calibration: homography estimation, its file format and registration."""
