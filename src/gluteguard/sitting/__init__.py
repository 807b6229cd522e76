"""Getting off the butt: sitting time from wearables, breaks, and reminders during work hours."""
