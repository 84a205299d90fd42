"""GPU acceptance check of the paper's detector in one command (``tools/gpu_check.py``).

Nothing is imported here. The orchestration and set-up modules use the standard library (and torch) only, because
on a GPU machine without a registry they run before mmcv and mmdet are installed:

- run (the phases of one check), phases (timing, budget, failure / OOM / timeout classification), plan (sizes of
  the GPU run and of the dry run), report (report.json / report.md, anchors)
- carried, device_image, prepare: the carried folder of pure wheels (mmcv-lite among them: nms and RoIAlign run
  on the image's torchvision kernels, nothing is compiled), what the GPU image holds, and ``--prepare``

Measurements run in fresh processes (child) with the full stack: device_info, ops_check, detector_cost (training,
inference, backbone layouts), attention_backends (SDPA kernels), distributed_config and probe_hook (torchrun).
"""
