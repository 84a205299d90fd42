"""The RoPE each release was pre-trained with, as a ViT ``rope=dict(...)``.

Format modules put one of these in ``ConvertedCheckpoint.meta['rope']``; the
option checks compare it with the config (see ``layers.rope`` for the terms).
"""
DINOV3 = dict(base=100, coords='centered', offset=0., axis_order='yx', rotation='half')
EVA02 = dict(base=10000, coords='index', offset=0., axis_order='yx', rotation='interleaved')
PE_CORE = dict(base=10000, coords='index', offset=1., axis_order='xy', rotation='interleaved')
