"""Training YOLOv12 on YOLO-format data, synthetic scenes with exact ground truth, and the demo build."""
