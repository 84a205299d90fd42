"""sha256 of a file, read in blocks (standard library only: the GPU check's orchestrator uses it too)."""
import hashlib


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 22), b''):
            digest.update(block)
    return digest.hexdigest()
