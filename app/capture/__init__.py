"""Frame sources (cameras, files, replays, synthetic), pairing by timestamp, recording.

For a front end, two calls do it (see `feed_factory` and `feeds`):

    add_capture_arguments(parser)                      # --rgb/--tir/--replay/--demo/--calibration/...
    feed = open_feed(feed_spec_from_args(args)); feed.start()
    item = feed.wait_latest(0.1)   # RegisteredPair: item.frame is the RGBTFrame for the tracker,
                                   # item.raw the unregistered FramePair (truth box, events, raw thermal)
    feed.status()                  # FeedStatus: per-stream CaptureStatus (live/lost/reconnecting/...),
                                   # fps, pairs, dropped (skew), skipped (consumer slower), skew
    feed.registrar.registration    # maps boxes between the RGB grid and the thermal camera's grid
    feed.recording.start(PairRecorder(folder)) / feed.recording.stop()
    feed.close()                   # capture threads stop within 1 s

The parts, one job per module:
- `timed_frames`: TimedFrame (one camera frame), FramePair (matched, unregistered), RegisteredPair.
- `source`: the FrameSource and PairSource interfaces; `errors`: SourceOpenError (a UserError), SourceLost.
- Live sources: `opencv_camera` (index/path, Y16), `flir_camera` (flirpy), `realsense_camera` (pyrealsense2).
- Recorded sources: `file_sources` (video, image folders), `replay` (recordings, dataset sequences),
  `pair_sources` (two streams by index or by timestamp), `synthetic` (the demo scene).
- `thermal_gain` (16-bit -> 8-bit automatic gain) and `frame_conversion` (OpenCV buffers -> our images).
- `capture_thread` (one live source per thread, reconnect with backoff), `pairing` (the pairing rule),
  `latest_slot` (newest pair wins), `feeds` (what the consumer reads), `registrar` (calibration ->
  registered frames), `recording` (record pairs for replay), `feed_factory` (flags -> feed).
"""
