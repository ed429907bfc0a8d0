"""Files shipped with TPMRI Live: the default weights (importable as `tpmri_assets`)."""
