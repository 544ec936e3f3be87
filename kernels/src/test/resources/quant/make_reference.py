"""Reference decodings of ggml's quantized blocks, made by gguf-py's NumPy dequantizers (an
implementation independent of Recall's and of ggml's C code).

    python3 make_reference.py GGUF_PY_DIR     (gguf-py/ of the llama.cpp source in ../shared/llama.cpp)

Writes TYPE.blocks (random blocks: random quants, scales drawn as halves of realistic size, a few
extreme ones) and TYPE.f32 (their weights as little-endian fp32) for each type QuantizedTypeTest reads."""
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from gguf import quants
from gguf.constants import GGMLQuantizationType as T, GGML_QUANT_SIZES

rng = np.random.default_rng(22)
BLOCKS = {"Q4_0": 128, "Q4_1": 128, "Q5_0": 128, "Q5_1": 128, "Q8_0": 128, "Q4_K": 16, "Q5_K": 16, "Q6_K": 16}
# Byte offsets of the half-precision fields of each block (d, and m / dmin where the type has one).
HALVES = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208]}
for name, n in BLOCKS.items():
    qtype = T[name]
    elements, size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    for off in HALVES[name]:
        h = (rng.standard_normal(n) * 0.02).astype(np.float16)
        h[:4] = np.array([6.1e-5, -3.0e-7, 0.0, 60000.0], dtype=np.float16)  # normal, subnormal, zero, large
        raw[:, off:off + 2] = h.view(np.uint8).reshape(n, 2)
    expected = quants.dequantize(raw, qtype).astype("<f4").reshape(-1)
    assert expected.size == n * elements
    raw.tofile(f"{name}.blocks")
    expected.tofile(f"{name}.f32")
    print(name, n, "blocks", expected.size, "weights")
