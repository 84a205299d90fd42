"""Block outputs of transformers' DINOv3ViTModel / Aimv2VisionModel on patch tokens, in a process of their own.

Run as ``python tests/hf_reference_2025.py KIND FOLDER INPUT OUTPUT`` with ``.venv/hf-reference`` first on
sys.path (requirements-hf-reference.txt): KIND is 'dinov3' or 'aimv2', FOLDER a model folder, INPUT a saved
list of [B, 3, H, W] tensors; OUTPUT gets, per input, the list of [B, N, C] block outputs. Detection has no class or register
token, so DINOv3's layers run on the patch tokens alone (its RoPE rotates patch tokens only); AIMv2 has none.
"""
import sys

import torch


def dinov3_blocks(model, x):
    tokens = model.embeddings.patch_embeddings(x).flatten(2).transpose(1, 2)
    rope = model.rope_embeddings(x)
    outs = []
    for layer in model.layer:
        tokens = layer(tokens, position_embeddings=rope)
        outs.append(tokens)
    return outs


def aimv2_blocks(model, x):
    return list(model(x, output_hidden_states=True).hidden_states[1:])


def main(kind, folder, src, dst):
    import transformers
    cls = {'dinov3': transformers.DINOv3ViTModel, 'aimv2': transformers.Aimv2VisionModel}[kind]
    model = cls.from_pretrained(folder, attn_implementation='eager').eval()
    with torch.no_grad():
        run = dinov3_blocks if kind == 'dinov3' else aimv2_blocks
        outs = [[o.contiguous() for o in run(model, x)] for x in torch.load(src)]
    torch.save(outs, dst)
    print(transformers.__version__)


if __name__ == '__main__':
    main(*sys.argv[1:])
