# Optimizer of Li et al. 2021 ("Training formula"): AdamW (0.9, 0.999), mixed
# precision, total batch 64. lr / weight_decay are the paper's centre values;
# each init's config sets its chosen ones. The lr schedule (warmup + cosine)
# and the length are in the lsj-*e_adamw-cosine.py files.
optim_wrapper = dict(
    type='AmpOptimWrapper',  # paper: mixed precision (needs CUDA; see README)
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW',
        lr=1.6e-4,  # paper: grid centre lr 1.6e-4
        betas=(0.9, 0.999),  # paper: AdamW betas (0.9, 0.999)
        weight_decay=0.1),  # paper: grid centre wd 0.1
    # No weight decay on norms, biases (incl. BEiT's q/v biases) and position
    # tables (abs embedding, relative bias tables).
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'attn.q_bias': dict(decay_mult=0.),
            'attn.v_bias': dict(decay_mult=0.),
        }))
# The lr above is for a total batch of 64 (paper). mmengine multiplies it by
# (GPUs x images per GPU) / 64 when that product differs.
auto_scale_lr = dict(enable=True, base_batch_size=64)
