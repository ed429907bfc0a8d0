"""TPMRI inside the VOT toolkit: a TraX server, and VOT workspaces written from our datasets.

The toolkit (`pip install -e ".[vot]"`) is imported only by the server, when it runs; writing a
workspace needs nothing beyond our own dependencies.
"""
