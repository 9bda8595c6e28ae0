"""Shipped ONNX models and their manifest (installed as the ``hwr_edge.models`` data package)."""
