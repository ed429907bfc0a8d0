"""The live pipeline between capture and the window: the inference loop and everything it drives.

    capture (tpmri_live.capture)  ->  pipeline (this package)  ->  window (tpmri_live.gui) or --headless

- `worker`: the loop (every pair shown, the newest one tracked when the tracker is free), its commands.
- `step_runner`: the tracker on its own thread, so a slow step never holds up the display or an exit.
- `replay_feed`: replays under the loop's control (pause, step, seek, speed).
- `auto_select`: starting without a click (--init, the demo's truth); `tracker_factory`: the model (torch).
- `results_recorder`, `annotate`, `palettes`: results.csv and annotated.mp4, written on their own thread.
- `rate_monitor`, `track_history`, `run_stats`: rates, the alpha(t) history, the --stats-json numbers.
No Qt here: the window and the headless runner both drive these plain objects.
"""
