"""How the tracker runs its network: PyTorch or ONNX Runtime behind one small interface (see backend.py).

This file imports nothing heavy, so command lines can offer the backend names without loading torch.
"""

BACKEND_NAMES = ("auto", "torch", "onnxruntime")
