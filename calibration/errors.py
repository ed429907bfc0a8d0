"""The one error this package raises for things a user can fix.

`tpmri_calibration` may not import `tpmri_core`, so it cannot raise `UserError`; callers in the
application convert `CalibrationError` into `UserError`, and `tpmri calibrate` prints it as one line.
"""


class CalibrationError(ValueError):
    """A problem with calibration input (a file, one of its fields, images without a visible board).

    The message names the file, the field or the image, and the value, in one line.
    """
