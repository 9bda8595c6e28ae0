"""Build stage: data loaders, training, ONNX conversion, quantization and the models/ manifest.

Run from the repository as ``python -m export ...``. Never imported by the runtime
(``hwr_edge``) and not part of the wheel. Heavy libraries (TensorFlow, tf2onnx)
are imported inside the functions that need them.
"""
