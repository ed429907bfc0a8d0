"""TPMRI: three-stage progressive modality reweighting and interaction for RGB-T tracking.

The package computes (models), does geometry (tracking), reads and makes data (data), trains
(training) and scores (evaluation). It never imports Qt or the live application.
"""

__version__ = "0.1.0"
