"""Keypoint readers: files from pose tools (documented CSV, OpenPose JSON, …) → :class:`KeypointSeries`."""
