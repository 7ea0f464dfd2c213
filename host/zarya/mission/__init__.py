"""Mission scenarios flown end to end on the simulated board: `zarya mission mars-2026`, `lunar-night`."""
