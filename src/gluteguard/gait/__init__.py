"""Stride analysis: keypoints → gait events → metrics → findings (pure); pose backends sit at its edge."""
