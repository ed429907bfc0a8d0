"""The Qt window: a thin layer over the plain objects in tpmri_live."""
