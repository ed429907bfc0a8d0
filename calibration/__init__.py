"""Thermal-to-RGB calibration: homography estimation, its file format and registration.

Only numpy and OpenCV: the application (`tpmri_live`) builds on it, nothing here imports torch or the
tracker. The pieces, each in its own module:

- `calibrate`: `calibrate_from_board_images(pairs, BoardPattern)` and `calibrate_from_point_pairs(...)`
  return a `CalibrationOutcome` (a `Calibration` plus warnings); `board_detection` finds chessboards and
  circle grids (thermal images contrast-stretched and tried inverted); `point_pairs` reads the
  `tir_x, tir_y, rgb_x, rgb_y` text format; `homography.fit_homography` is the RANSAC fit with its
  RMS error and degeneracy warnings.
- `calibration_file`: `save_calibration` / `load_calibration` for the versioned JSON file, validated on
  load with one `CalibrationError` naming the file and field.
- `registration.Registration`: warps thermal images onto the RGB grid and maps points and boxes both
  ways; `Registration.stretch` stands in when there is no calibration (identity for equal sizes).
- `overlay`: before/after edge overlays; `board_render`: synthetic boards for tests and docs.
- `command`: the `tpmri calibrate` subcommand.
"""
