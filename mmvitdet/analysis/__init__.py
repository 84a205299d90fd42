"""Result analysis: tables, figures and cost benchmarks (library code; CLIs in tools/analysis).

Not imported by ``import mmvitdet`` (nothing here is registered, and matplotlib stays
unloaded for training). Modules:

- workdir, runs, run_identity, groups: read mmengine work dirs into identified runs
  (init, size, schedule, hyper-parameters, status) and pool repeats.
- result_tables, grid_summary, results_report, table_format, paper_results: the paper's
  tables beside its published numbers, as markdown, CSV and LaTeX.
- figures: convergence and scaling plots (PNG, PDF).
- cost_benchmark, cost_table, input_size, synthetic_batch: whole-detector training and
  inference cost; measure, backbone_benchmark: timing / memory / FLOP primitives and the
  backbone-only benchmark.
"""
