"""NumPy neural networks, the 3Blue1Brown / Nielsen way (no Django in here)."""
