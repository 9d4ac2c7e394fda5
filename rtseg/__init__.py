"""rtseg: real-time instance segmentation with stable track IDs."""
